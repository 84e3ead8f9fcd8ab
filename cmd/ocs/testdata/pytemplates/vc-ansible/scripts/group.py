# Helpers of this test template, in the manner of an OCS template's
# scripts/: state passes between its notebooks through group_vars/NAME and
# the work folder's inventory.yml and ansible.cfg.
import os
from pathlib import Path

import yaml


def update_group_vars(name, **values):
    """Merge values into group_vars/NAME/00-params.yml."""
    path = Path("group_vars") / name / "00-params.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    old = yaml.safe_load(path.read_text()) if path.exists() else {}
    old.update(values)
    path.write_text(yaml.safe_dump(old, default_flow_style=False))


def load_group_vars(name):
    """The values update_group_vars wrote for NAME."""
    path = Path("group_vars") / name / "00-params.yml"
    if not path.exists():
        raise RuntimeError(f"no group_vars for {name}: run the node notebook first")
    return yaml.safe_load(path.read_text())


def update_inventory_yml(group, units, **hostvars):
    """Put GROUP with children GROUP_UNIT (hosts by address) into inventory.yml."""
    path = Path("inventory.yml")
    inv = yaml.safe_load(path.read_text()) if path.exists() else {}
    inv = inv or {}
    children = {}
    for unit, addrs in units.items():
        children[f"{group}_{unit}"] = {"hosts": {a: {} for a in addrs}}
    inv.setdefault("all", {}).setdefault("children", {})[group] = {
        "children": children,
        "vars": hostvars,
    }
    path.write_text(yaml.safe_dump(inv, default_flow_style=False))


def remove_group_from_inventory_yml(group):
    path = Path("inventory.yml")
    inv = yaml.safe_load(path.read_text()) or {}
    inv.get("all", {}).get("children", {}).pop(group, None)
    path.write_text(yaml.safe_dump(inv, default_flow_style=False))


def setup_ansible_cfg(known_hosts):
    """ansible.cfg of the work folder: this inventory, and OpenSSH with the
    known_hosts the notebooks fill (ssh reads the passwd entry's home, not
    $HOME), one connection per task (no ControlPersist process stays)."""
    Path("ansible.cfg").write_text(
        "[defaults]\n"
        "inventory = ./inventory.yml\n"
        "interpreter_python = /usr/bin/python3\n"
        "\n"
        "[ssh_connection]\n"
        f"ssh_args = -o ControlMaster=no -o UserKnownHostsFile={known_hosts}\n"
    )
    os.environ["ANSIBLE_CONFIG"] = str(Path("ansible.cfg").resolve())
