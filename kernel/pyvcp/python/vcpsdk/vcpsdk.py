"""VcpSDK for OCS templates, served by ocs.

The classes keep the argument shapes and the return objects templates use
(keyword names, DataFrames, node objects, print(spec)); every call crosses
ocs's bridge to the ocs process, which runs it on its Go SDK: journaled in
the build record, replayed on a resumed build, on the state `ocs vcp ls`
shows. The access token is accepted and never sent anywhere.
"""

import functools
import html
import os

import ocs_bridge

__all__ = [
    "VcpSDK",
    "VcpSDKError",
    "VcpUnitGroupClass",
    "VcpUnitClass",
    "VcpSpec",
    "VcNode",
    "Table",
]


class VcpSDKError(Exception):
    """A VCP operation that failed in ocs."""


def _call(method, **args):
    args["method"] = method
    try:
        return ocs_bridge.call("vcp", args)
    except ocs_bridge.BridgeError as err:
        if err.ename == "NotImplementedError":
            raise NotImplementedError(err.evalue) from None
        if err.ename == "NoBridge":
            raise VcpSDKError(
                "ocs's VcpSDK runs only in a notebook that ocs runs (%s)" % err.evalue
            ) from None
        raise VcpSDKError(err.evalue or str(err)) from None


def _not_in_ocs(owner, name):
    return NotImplementedError(
        "%s.%s is not implemented by ocs (it serves the VCP SDK calls OCS templates make)"
        % (owner, name)
    )


class _Strict:
    """Unknown public attributes raise NotImplementedError naming them."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise _not_in_ocs(type(self).__name__, name)


# --- tables -----------------------------------------------------------------


class Table:
    """What df_* return when pandas is not importable: columns and rows of
    text, shown as an HTML table in a notebook and as aligned text."""

    def __init__(self, columns, rows):
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return (dict(zip(self.columns, r)) for r in self.rows)

    def __getitem__(self, column):
        i = self.columns.index(column)
        return [r[i] for r in self.rows]

    def _repr_html_(self):
        head = "".join("<th>%s</th>" % html.escape(c) for c in self.columns)
        body = "".join(
            "<tr>%s</tr>" % "".join("<td>%s</td>" % html.escape(str(v)) for v in r)
            for r in self.rows
        )
        return "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (head, body)

    def __str__(self):
        cells = [self.columns] + [[str(v) for v in r] for r in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
        return "\n".join(lines)

    __repr__ = __str__


def _table(res):
    columns, rows = res.get("columns") or [], res.get("rows") or []
    try:
        import pandas
    except ImportError:
        return Table(columns, rows)
    return pandas.DataFrame(rows, columns=columns)


# --- specs --------------------------------------------------------------------

# The attributes a spec sends to ocs; any other a template sets (instance
# types, disk sizes, ...) is kept on the spec and shown by print(spec).
_SPEC_FIELDS = ("image", "params_e", "params_v", "ip_addresses", "user_name")


def _number(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return v


class VcpSpec:
    """The spec of a unit: get_spec(provider, flavor) makes one with the
    flavor's attributes; templates set image, params_e, params_v,
    ip_addresses, num_nodes, ... and call set_ssh_pubkey(path)."""

    def __init__(self, provider, flavor, runs_on=None, attrs=None):
        self.provider = provider
        self.flavor = flavor
        self.num_nodes = 1
        self.image = ""
        self.params_e = []
        self.params_v = []
        self.ip_addresses = []
        self.mac_addresses = []
        self.user_name = None
        for k, v in sorted((attrs or {}).items()):
            setattr(self, k, _number(v))
        self._runs_on = runs_on or provider
        self._ssh_pubkey = ""

    def set_ssh_pubkey(self, path):
        """Authorize the public key(s) in the file at path on the unit's nodes."""
        res = _call("read_pubkey", path=os.path.expanduser(str(path)))
        self._ssh_pubkey = res["pubkey"]

    def cci(self, name=""):
        """Print the spec (VCP's cci block)."""
        print(self._text(name))

    def _to_go(self):
        d = {"provider": self.provider, "flavor": self.flavor}
        if not self.ip_addresses:
            # SDK 18.x names for the addresses.
            self.ip_addresses = list(getattr(self, "node_ips", None) or getattr(self, "ip_address_list", None) or [])
        for k in _SPEC_FIELDS:
            v = getattr(self, k, None)
            if v:
                d[k] = list(v) if isinstance(v, (list, tuple)) else v
        for k in ("params_e", "params_v", "ip_addresses"):
            if k in d:
                d[k] = [str(x) for x in d[k]]
        n = int(self.num_nodes or 0)
        # One node per address unless num_nodes says otherwise.
        if not (n == 1 and len(d.get("ip_addresses", [])) > 1):
            d["num_nodes"] = n
        if self._ssh_pubkey:
            d["ssh_pubkey"] = self._ssh_pubkey
        for k in ("ssh_key_path", "known_hosts_path"):
            v = getattr(self, k, None)
            if v:
                d[k] = os.path.expanduser(str(v))
        return d

    def _text(self, name=""):
        lines = [
            'cci_version: "1.0"',
            "name: %s" % name,
            "num_nodes: %s" % self.num_nodes,
            "image: %s" % self.image,
            "params: %r" % ({"e": list(self.params_e), "v": list(self.params_v)},),
            "provider: %s" % self.provider,
        ]
        if self._runs_on != self.provider:
            lines.append("runs_on: %s" % self._runs_on)
        shown = {"num_nodes", "image", "params_e", "params_v", "provider"}
        for k, v in vars(self).items():
            if k.startswith("_") or k in shown or v in (None, [], ""):
                continue
            lines.append("%s: %s" % (k, v))
        if self._ssh_pubkey:
            lines.append("ssh_pubkey: %d key(s)" % len(self._ssh_pubkey.splitlines()))
        return "\n".join(lines)

    def __str__(self):
        return self._text()

    def __repr__(self):
        return "VcpSpec(provider=%r, flavor=%r)" % (self.provider, self.flavor)


# --- nodes, units, unit groups ---------------------------------------------------


class VcNode(_Strict):
    """One node: .state, .no, .cloud_instance_address and the df_nodes columns."""

    def __init__(self, data):
        self._data = data
        self.state = data.get("state")
        self.no = data.get("no")
        self.id = data.get("id")
        self.name = data.get("name")
        self.cloud_instance_address = data.get("cloud_instance_address")
        self.port = data.get("port")
        self.user = data.get("user")
        self.provider = data.get("provider")
        self.asked_provider = data.get("asked_provider") or data.get("provider")
        self.vcname = data.get("ugroup")
        self.unit_name = data.get("unit")
        self.node_no = self.no
        self.node_id = self.id
        self.node_state = self.state
        self.cloud_instance_id = self.id
        self.cloud_instance_name = self.name
        self.volumes = data.get("volumes") or []

    def __repr__(self):
        return "VcNode(no=%s, state=%s, cloud_instance_address=%s, unit_name=%s)" % (
            self.no,
            self.state,
            self.cloud_instance_address,
            self.unit_name,
        )


def _nodes(res):
    return [VcNode(n) for n in res.get("nodes") or []]


def _one_or_list(ip_address, ip_addresses):
    out = []
    if ip_address:
        out.append(str(ip_address))
    if ip_addresses:
        if isinstance(ip_addresses, str):
            ip_addresses = [ip_addresses]
        out.extend(str(a) for a in ip_addresses)
    return out


def _node_nos(node_no):
    if node_no is None:
        return []
    if isinstance(node_no, (list, tuple)):
        return [int(n) for n in node_no]
    return [int(node_no)]


def _no_extra(method, params, allowed=()):
    extra = sorted(k for k in params if k not in allowed)
    if extra:
        raise TypeError("%s() got unexpected keyword argument(s): %s" % (method, ", ".join(extra)))


# Keywords VCP takes to tune waiting and logging; ocs always waits.
_WAIT_KW = ("wait_for", "verbose", "timeout", "mac_addresses")


class VcpUnitClass(_Strict):
    """A unit of a unit group: nodes made from one spec."""

    def __init__(self, data):
        self._data = data
        self.name = data.get("name")
        self.ugroup_name = data.get("ugroup")
        self.provider = data.get("provider")
        self.asked_provider = data.get("asked_provider") or self.provider
        self.flavor = data.get("flavor")

    def _unit(self):
        return {k: v for k, v in self._data.items() if k != "sdk"}

    def _node_call(self, method, count=None, ip_addresses=(), node_nos=()):
        args = {"unit": self._unit()}
        if count:
            args["count"] = int(count)
        if ip_addresses:
            args["ip_addresses"] = list(ip_addresses)
        if node_nos:
            args["node_nos"] = list(node_nos)
        return _nodes(_call(method, **args))

    def add_nodes(self, num_add_nodes=None, ip_addresses=None, ip_address=None, **params):
        """Add nodes and wait until they run: num_add_nodes (default 1), or one
        per address of ip_addresses. Returns the new nodes."""
        _no_extra("add_nodes", params, _WAIT_KW)
        return self._node_call("add_nodes", num_add_nodes, _one_or_list(ip_address, ip_addresses))

    def delete_nodes(self, ip_address=None, ip_addresses=None, num_delete_nodes=None, node_no=None, **params):
        """Delete nodes chosen by ip_address(es), node_no or num_delete_nodes
        (the last ones); default the last node. Returns the deleted nodes."""
        _no_extra("delete_nodes", params, _WAIT_KW + ("force",))
        return self._node_call(
            "delete_nodes", num_delete_nodes, _one_or_list(ip_address, ip_addresses), _node_nos(node_no)
        )

    def delete_units(self, ip_address=None, ip_addresses=None, **params):
        """The form of delete_nodes some templates call."""
        return self.delete_nodes(ip_address=ip_address, ip_addresses=ip_addresses, **params)

    def power_on_nodes(self, num_power_on_nodes=None, ip_address=None, ip_addresses=None, node_no=None, **params):
        """Power on nodes (default: all powered-off ones). Returns them."""
        _no_extra("power_on_nodes", params, _WAIT_KW)
        return self._node_call(
            "power_on_nodes", num_power_on_nodes, _one_or_list(ip_address, ip_addresses), _node_nos(node_no)
        )

    def power_off_nodes(self, num_power_off_nodes=None, ip_address=None, ip_addresses=None, node_no=None, **params):
        """Power off nodes (default: all); they keep disk, address and host key."""
        _no_extra("power_off_nodes", params, _WAIT_KW)
        return self._node_call(
            "power_off_nodes", num_power_off_nodes, _one_or_list(ip_address, ip_addresses), _node_nos(node_no)
        )

    def find_nodes(self, node_state=None, mapper=None):
        """The unit's nodes (VcNode), those in node_state if given."""
        nodes = _nodes(_call("find_nodes", unit=self._unit(), node_state=node_state or ""))
        return [mapper(n) for n in nodes] if mapper else nodes

    def find_ip_addresses(self, node_state=None):
        """The addresses (str) of the unit's nodes, those in node_state if given."""
        return list(_call("find_ip_addresses", unit=self._unit(), node_state=node_state or "")["addresses"])

    def df_nodes(self):
        """The unit's nodes as a table."""
        return _table(_call("df_nodes", unit=self._unit()))

    def __repr__(self):
        p = self.provider
        if self.asked_provider != p:
            p = "%s (runs on %s)" % (self.asked_provider, p)
        return "VcpUnitClass(name=%r, ugroup=%r, provider=%s, flavor=%s)" % (
            self.name,
            self.ugroup_name,
            p,
            self.flavor,
        )


def _unit(res):
    u = res.get("unit")
    return VcpUnitClass(u) if u else None


class VcpUnitGroupClass(_Strict):
    """A unit group: units of nodes, one Ansible group."""

    def __init__(self, data):
        self._data = data
        self.name = data.get("name")
        self.vcid = data.get("id")
        self.id = self.vcid
        self.created = data.get("created")

    def _group(self):
        return {"name": self.name, "id": self.vcid, "created": self.created}

    def create_unit(self, name, spec, wait_for=True, verbose=None, **params):
        """Create the unit name from spec and wait until its nodes run,
        logging BOOTING ... N sec while they boot."""
        _no_extra("create_unit", params, _WAIT_KW)
        if not isinstance(spec, VcpSpec):
            raise TypeError("create_unit(): spec must come from VcpSDK.get_spec")
        return _unit(_call("create_unit", ugroup=self._group(), name=str(name), spec=spec._to_go()))

    def get_unit(self, name):
        """The unit name, or None."""
        return _unit(_call("get_unit", ugroup=self._group(), name=str(name)))

    def find_units(self):
        """Every unit of the group."""
        return [VcpUnitClass(u) for u in _call("find_units", ugroup=self._group())["units"]]

    def find_nodes(self, node_state=None, unit_name=None, mapper=None):
        """The group's nodes (VcNode), filtered by node_state and unit_name."""
        nodes = _nodes(
            _call("find_nodes", ugroup=self._group(), node_state=node_state or "", unit_name=unit_name or "")
        )
        return [mapper(n) for n in nodes] if mapper else nodes

    def find_ip_addresses(self, node_state=None, unit_name=None):
        """The addresses (str) of the group's nodes, filtered by node_state and unit_name."""
        res = _call("find_ip_addresses", ugroup=self._group(), node_state=node_state or "", unit_name=unit_name or "")
        return list(res["addresses"])

    def df_units(self):
        """The group's units as a table."""
        return _table(_call("df_units", ugroup=self._group()))

    def df_nodes(self):
        """The group's nodes as a table."""
        return _table(_call("df_nodes", ugroup=self._group()))

    def delete_units(self, name, force=False):
        """Delete the unit name; with force also while it has nodes."""
        _call("delete_units", ugroup=self._group(), name=str(name), force=bool(force))

    def cleanup(self, force=None, wait_for=True, verbose=None):
        """Delete every node and unit of the group, and the group."""
        _call("cleanup", ugroup=self._group())

    def __repr__(self):
        return "VcpUnitGroupClass(name=%r, vcid=%r)" % (self.name, self.vcid)

    def __str__(self):
        return "name: %s\nvcid: %s\ncdate: %s" % (self.name, self.vcid, self.created)


def _ugroup(res):
    g = res.get("ugroup")
    return VcpUnitGroupClass(g) if g else None


# --- the SDK ------------------------------------------------------------------


class _either:
    """A method callable on the class too (VcpSDK.get_spec('aws', 'small'),
    the form of SDK 18.x notebooks); none of them uses the instance."""

    def __init__(self, f):
        self.f = f
        functools.update_wrapper(self, f)

    def __get__(self, obj, cls):
        return functools.partial(self.f, obj if obj is not None else cls)


class VcpSDK(_Strict):
    """The entry point: VcpSDK(vcc_access_token). The token is accepted for
    the templates' sake; ocs needs none and never sends it anywhere."""

    def __init__(self, access_token=None, vc_name=None, config_dir=None, **params):
        self._token_given = bool(access_token)
        self.vc_name = vc_name
        self.config_dir = os.path.expanduser(config_dir) if config_dir else None
        # SDK 18.x: VcpSDK(token, vc_name) with v.spec and v.unit on the
        # unit group vc_name.
        self.spec = _LegacySpecs(self)
        self.unit = _LegacyUnits(self)

    def _legacy_group(self, create=False):
        if not self.vc_name:
            raise _not_in_ocs("VcpSDK", "unit (the 18.x form needs VcpSDK(token, vc_name))")
        ug = self.get_ugroup(self.vc_name)
        if ug is None and create:
            ug = self.create_ugroup(self.vc_name)
        if ug is None:
            raise VcpSDKError("unit group %r does not exist" % self.vc_name)
        return ug

    def cleanup(self, wait_for=True, verbose=None):
        """SDK 18.x: delete the unit group vc_name and everything in it."""
        self._legacy_group().cleanup()

    def __repr__(self):
        return "VcpSDK(ocs)"

    @_either
    def version(self):
        """Print the SDK and VC controller versions (YAML)."""
        print(_call("version")["yaml"], end="")

    @_either
    def vcc_info(self):
        """The VC controller's host, vault_url and docker_registry."""
        return dict(_call("vcc_info"))

    def get_publickey(self):
        """The public key the controller (ocs) reaches existing servers with."""
        return _call("get_publickey")["publickey"]

    def get_vpn_catalog(self, provider):
        """The provider's network: private_network_ipmask is where node
        addresses come from (127.0.0.0/8 for local)."""
        return dict(_call("get_vpn_catalog", provider=str(provider))["catalog"])

    def df_ugroups(self):
        """Every unit group as a table."""
        return _table(_call("df_ugroups"))

    @_either
    def df_flavors(self, provider):
        """The flavors of provider as a table; an unknown provider raises."""
        return _table(_call("df_flavors", provider=str(provider)))

    @_either
    def get_spec(self, provider, flavor):
        """A new spec for provider and flavor; an unknown one raises."""
        s = _call("get_spec", provider=str(provider), flavor=str(flavor))["spec"]
        return VcpSpec(s["provider"], s["flavor"], s.get("runs_on"), s.get("attrs"))

    def create_ugroup(self, name, ugroup_type="compute", **params):
        """Create the unit group name."""
        _no_extra("create_ugroup", params, ("verbose",))
        return _ugroup(_call("create_ugroup", name=str(name), ugroup_type=str(ugroup_type or "")))

    def get_ugroup(self, name=None, ugroup_name=None):
        """The unit group name, or None when there is none."""
        name = name if name is not None else ugroup_name
        if name is None:
            raise TypeError("get_ugroup() needs the unit group's name")
        return _ugroup(_call("get_ugroup", name=str(name)))


class _LegacySpecs(_Strict):
    """SDK 18.x's v.spec: find_spec(provider, flavor)."""

    def __init__(self, sdk):
        self._sdk = sdk

    def find_spec(self, provider, flavor):
        return self._sdk.get_spec(provider, flavor)


class _LegacyUnits(_Strict):
    """SDK 18.x's v.unit: create, find_node, df_node on the group vc_name."""

    def __init__(self, sdk):
        self._sdk = sdk

    def create(self, name, spec, wait_for=True, verbose=None):
        return self._sdk._legacy_group(create=True).create_unit(name, spec)

    def find_node(self, unit_name=None, node_state=None):
        return self._sdk._legacy_group().find_nodes(node_state=node_state, unit_name=unit_name)

    def df_node(self):
        return self._sdk._legacy_group().df_nodes()
