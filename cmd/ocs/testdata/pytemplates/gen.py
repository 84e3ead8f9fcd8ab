# Writes the test notebooks of this folder (run with Debian's python3, which
# has nbformat): /usr/bin/python3 gen.py. The notebooks are in the shape of
# OCS templates, written for ocs's tests.
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNEL = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def nb(path, cells):
    book = new_notebook(metadata=KERNEL)
    for i, c in enumerate(cells):
        if isinstance(c, tuple):
            kind, src, *tags = c
        else:
            kind, src, tags = "code", c, []
        cell = new_markdown_cell(src) if kind == "md" else new_code_cell(src)
        cell["id"] = "c%02d" % i
        if tags:
            cell["metadata"]["tags"] = list(tags)
        book.cells.append(cell)
    nbformat.validate(book)
    nbformat.write(book, path)


SDK = """from common import logsetting
from vcpsdk.vcpsdk import VcpSDK
vcp = VcpSDK(vcc_access_token)"""

TOKEN = """import os
vcc_access_token = os.environ.get('VCC_ACCESS_TOKEN', '')"""

nb("vc-node-tutorial.ipynb", [
    ("md", "# Start and delete VC nodes\n\nA walk through the unit group, spec, unit and node calls."),
    ("code", """ugroup_name = 'pytut'
node_address = '127.43.77.10'
ssh_private_key = '~/.ssh/id_ed25519'
ssh_public_key = '~/.ssh/id_ed25519.pub'""", "parameters"),
    TOKEN,
    SDK,
    "vcp.df_ugroups()",
    "vcp.version()",
    ("md", "## Unit group"),
    "unit_group = vcp.create_ugroup(ugroup_name)\nprint(unit_group)",
    "vcp.df_ugroups()",
    "unit_group.df_units()",
    "unit_group.df_nodes()",
    ("md", "## Spec"),
    "vcp.df_flavors('aws')",
    """import os
ssh_private_key = os.path.expanduser(ssh_private_key)
ssh_public_key = os.path.expanduser(ssh_public_key)
known_hosts = os.path.expanduser('~/.ssh/known_hosts')
spec = vcp.get_spec('aws', 'small')
spec.volume_size = 15
spec.ip_addresses = [node_address]
spec.set_ssh_pubkey(ssh_public_key)
print(spec)""",
    '!grep -q "$(ssh-keygen -y -f {ssh_private_key})" {ssh_public_key}',
    ("md", "## Unit and node"),
    "unit = unit_group.create_unit('aws-server', spec)",
    "unit_group.df_units()",
    """ip_address = unit_group.find_ip_addresses(node_state='RUNNING')[0]
assert ip_address == node_address, ip_address
print(ip_address)""",
    ("md", "## SSH"),
    """!touch {known_hosts}
!ssh-keygen -R {ip_address} -f {known_hosts}
!ssh-keyscan -H {ip_address} >> {known_hosts}""",
    """ssh_user = 'root' if os.geteuid() == 0 else 'vcp'
ssh_opts = f"-i {ssh_private_key} -l {ssh_user} -o UserKnownHostsFile={known_hosts} -o BatchMode=yes"
!ssh {ssh_opts} {ip_address} /bin/ls -la""",
    "!ssh {ssh_opts} {ip_address} uname -a",
    ("md", "## Scale out and in"),
    "unit.add_nodes()",
    "unit.df_nodes()",
    """ip_address = unit.find_ip_addresses(node_state='RUNNING')
assert len(ip_address) == 2, ip_address
for addr in ip_address:
    !ssh-keygen -R {addr} -f {known_hosts}
    !ssh-keyscan -H {addr} >> {known_hosts}
    !ssh {ssh_opts} {addr} echo reached {addr}""",
    "print(ip_address[-1])\nunit.delete_nodes(ip_address=ip_address[-1])",
    "assert unit.find_ip_addresses() == ip_address[:1]\nunit.df_nodes()",
    ("md", "## Power off and on"),
    """nodes = unit.power_off_nodes()
assert [n.state for n in nodes] == ['POWER_OFF'], nodes
assert unit.find_ip_addresses(node_state='RUNNING') == []""",
    """nodes = unit.power_on_nodes()
assert [n.state for n in nodes] == ['RUNNING'], nodes
!ssh {ssh_opts} {ip_address[0]} echo back on""",
    ("md", "## Delete everything"),
    "unit_group.cleanup()",
    "vcp.df_ugroups()",
    "assert vcp.get_ugroup(ugroup_name) is None",
])

nb("vc-ansible/000-README.ipynb", [
    ("md", "# A node for Ansible\n\n* 010: parameters and the node, inventory, ansible.cfg\n* 990: delete the node"),
])

nb("vc-ansible/010-params-and-node.ipynb", [
    ("md", "# Parameters and the VC node"),
    ("code", """ugroup_name = 'pyans'
vc_provider = 'aws'
vc_flavor = 'small'
vc_node_address = '127.43.77.20'
ssh_public_key_path = '~/.ssh/id_ed25519.pub'
ssh_private_key_path = '~/.ssh/id_ed25519'""", "parameters"),
    TOKEN,
    SDK,
    ("md", "## Check the parameters"),
    """from contextlib import redirect_stdout
from io import StringIO
from ipaddress import IPv4Address, IPv4Network
import yaml
%run scripts/group.py

assert vcp.get_ugroup(ugroup_name) is None, f'unit group {ugroup_name} exists'
vcp.df_flavors(vc_provider)
vcp.get_spec(vc_provider, vc_flavor)
network = IPv4Network(vcp.get_vpn_catalog(vc_provider)['private_network_ipmask'])
assert IPv4Address(vc_node_address) in network, network
with redirect_stdout(StringIO()) as f:
    vcp.version()
vcc = yaml.safe_load(f.getvalue())['vc_controller']['vc_controller']
assert tuple(int(x) for x in vcc.split('+')[0].split('.')) >= (25, 4), vcc""",
    """update_group_vars(
    ugroup_name,
    vc_provider=vc_provider,
    vc_flavor=vc_flavor,
    vc_node_address=vc_node_address,
    ssh_public_key_path=ssh_public_key_path,
    ssh_private_key_path=ssh_private_key_path,
)""",
    "!cat group_vars/{ugroup_name}/00-params.yml",
    ("md", "## The node"),
    """import os
gvars = load_group_vars(ugroup_name)
spec = vcp.get_spec(gvars['vc_provider'], gvars['vc_flavor'])
spec.image = 'harbor.example/vcp/base:test'
spec.params_v = ['/sys/fs/cgroup:/sys/fs/cgroup:ro']
spec.ip_addresses = [gvars['vc_node_address']]
spec.set_ssh_pubkey(os.path.expanduser(gvars['ssh_public_key_path']))
if gvars['vc_provider'] == 'aws':
    spec.volume_size = 20
print(spec)""",
    "ugroup = vcp.create_ugroup(ugroup_name)",
    "unit = ugroup.create_unit('server', spec)",
    """if any([node.state != 'RUNNING' for node in unit.find_nodes()]):
    raise RuntimeError('ERROR: not running')
ugroup.df_nodes()""",
    ("md", "## Host keys, inventory and ansible.cfg"),
    """known_hosts = os.path.expanduser('~/.ssh/known_hosts')
!mkdir -p ~/.ssh && touch {known_hosts}
for addr in ugroup.find_ip_addresses():
    !ssh-keygen -R {addr} -f {known_hosts}
    !ssh-keyscan -H {addr} >> {known_hosts}""",
    """update_inventory_yml(
    ugroup.name,
    {unit.name: ugroup.find_ip_addresses(unit_name=unit.name)},
    ansible_user='vcp',
    ansible_ssh_private_key_file=os.path.expanduser(gvars['ssh_private_key_path']),
    ansible_python_interpreter='/usr/bin/python3',
)
setup_ansible_cfg(known_hosts)
!cat inventory.yml ansible.cfg""",
    "!ansible {ugroup_name} -m ping",
    """out = !ansible {ugroup_name} -b -a whoami
print(out)
assert out[0].find('CHANGED') >= 0 and out[1] == 'root', out""",
])

nb("vc-ansible/990-delete.ipynb", [
    ("md", "# Delete the VC node"),
    ("code", "target_group = 'pyans'", "parameters"),
    TOKEN,
    SDK,
    "%run scripts/group.py\ngvars = load_group_vars(target_group)\nugroup = vcp.get_ugroup(target_group)\nugroup.df_nodes()",
    "ugroup.cleanup()",
    "vcp.df_ugroups()",
    "assert vcp.get_ugroup(target_group) is None",
    """!mv group_vars/{target_group} group_vars/.{target_group}.bak
remove_group_from_inventory_yml(target_group)
!cat inventory.yml""",
])

# The same VCP operations from a Go cell and from a Python cell.
GO = {
    "kernelspec": {"display_name": "Go (ocs)", "language": "go", "name": "ocs-go"},
    "language_info": {"name": "go"},
}
book = new_notebook(metadata=GO)
params = new_code_cell("""first := "127.43.77.30"  // address of the first node
second := "127.43.77.31" // address of the added node""")
params["id"] = "goparams"
params["metadata"]["tags"] = ["parameters"]
book.cells.append(params)
book.cells.append(new_code_cell("""import (
	"os"
	"ocs/vcp"
)
sdk := vcp.MustSDK(vcp.New(""))
ug := vcp.MustUGroup(sdk.CreateUGroup("same"))
spec := vcp.MustSpec(sdk.GetSpec("aws", "small"))
spec.IPAddresses = []string{first}
vcp.Check(spec.SetSSHPubkey(os.Getenv("HOME") + "/.ssh/id_ed25519.pub"))
unit := vcp.MustUnit(ug.CreateUnit("web", spec))
vcp.MustNodes(unit.AddNodes(vcp.Count(1), vcp.IPAddress(second)))"""))
book.cells[1]["id"] = "go1"
nbformat.validate(book)
nbformat.write(book, "same-go.ipynb")

nb("same-py.ipynb", [
    ("code", "first = '127.43.77.30'\nsecond = '127.43.77.31'", "parameters"),
    """import os
from vcpsdk.vcpsdk import VcpSDK
vcp = VcpSDK('')
ug = vcp.create_ugroup('same')
spec = vcp.get_spec('aws', 'small')
spec.ip_addresses = [first]
spec.set_ssh_pubkey(os.environ['HOME'] + '/.ssh/id_ed25519.pub')
unit = ug.create_unit('web', spec)
unit.add_nodes(num_add_nodes=1, ip_addresses=[second])""",
])
