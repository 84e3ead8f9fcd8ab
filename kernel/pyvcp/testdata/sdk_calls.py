# Drives ocs's vcpsdk the way OCS templates do, against a real bridge; the
# Go test checks the state and the journal afterwards. Prints one line per
# check; any failed assertion ends it with a traceback.
import io
import os
import sys
from contextlib import redirect_stdout

sys.modules["pandas"] = None  # the table object, not a DataFrame

from common import logsetting  # noqa: F401  (what templates import first)
from vcpsdk.vcpsdk import VcpSDK, VcpSDKError, Table
from vcpsdk.plugins.mdx_ext import MdxResourceExt

vcp = VcpSDK("not-a-real-token")
pubkey = os.environ["TEST_PUBKEY"]

with redirect_stdout(io.StringIO()) as f:
    vcp.version()
assert "vc_controller:\n  vc_controller: 25.04.0+ocs" in f.getvalue(), f.getvalue()
info = vcp.vcc_info()
assert set(["host", "vault_url", "docker_registry"]) <= set(info), info
assert vcp.get_vpn_catalog("aws")["private_network_ipmask"] == "127.0.0.0/8"
assert vcp.get_publickey().startswith("ssh-ed25519 ")
assert vcp.get_ugroup("nothing-here") is None
try:
    vcp.df_flavors("nimbus")
    raise AssertionError("df_flavors(nimbus) did not raise")
except VcpSDKError as e:
    assert "not available" in str(e)
flavors = vcp.df_flavors("aws")
assert isinstance(flavors, Table) and flavors["flavor"] == ["small", "medium", "large", "gpu"], flavors
assert "<th>instance_type</th>" in flavors._repr_html_()
assert VcpSDK.get_spec("aws", "small").instance_type == "m4.large"  # the 18.x class form
try:
    vcp.find_ugroups()
    raise AssertionError("find_ugroups did not raise")
except NotImplementedError as e:
    assert "VcpSDK.find_ugroups" in str(e), e
try:
    MdxResourceExt("token")
    raise AssertionError("MdxResourceExt did not raise")
except NotImplementedError as e:
    assert "mdx is not available in ocs" in str(e)
print("sdk ok")

spec = vcp.get_spec("aws", "small")
spec.volume_size = 15
spec.params_e.append("GREETING=hi")
spec.ip_addresses = ["172.30.2.100"]
spec.set_ssh_pubkey(pubkey)
text = str(spec)
assert "cci_version" in text and "params: {'e': ['GREETING=hi'], 'v': []}" in text and "runs_on: local" in text, text
assert "volume_size: 15" in text and "ssh_pubkey: 1 key(s)" in text, text

ug = vcp.create_ugroup("pytut")
try:
    ug.create_unit("srv", spec)
    raise AssertionError("a non-loopback address was accepted")
except VcpSDKError as e:
    assert "127.x.y.z" in str(e), e
spec.ip_addresses = [os.environ["TEST_ADDR"]]
out = io.StringIO()
with redirect_stdout(out):
    unit = ug.create_unit("srv", spec)
assert "INFO - BOOTING ... 0 sec" in out.getvalue(), out.getvalue()
assert unit.name == "srv" and unit.provider == "local" and unit.asked_provider == "aws"
assert ug.find_ip_addresses(node_state="RUNNING") == [os.environ["TEST_ADDR"]]
assert all(n.state == "RUNNING" for n in unit.find_nodes())
node = unit.find_nodes()[0]
assert node.no == 1 and node.cloud_instance_address == os.environ["TEST_ADDR"] and node.unit_name == "srv"
assert [u.name for u in ug.find_units()] == ["srv"]
assert ug.get_unit("srv").name == "srv" and ug.get_unit("none") is None
assert vcp.get_ugroup("pytut").name == "pytut"
df = ug.df_nodes()
assert df.columns[:4] == ["vcno", "vcname", "unit_name", "unit_state"] and len(df) == 1, df
print("unit ok")

added = unit.add_nodes(num_add_nodes=2)
assert len(added) == 2 and all(n.state == "RUNNING" for n in added)
addrs = unit.find_ip_addresses()
assert len(addrs) == 3 and all(isinstance(a, str) for a in addrs)
gone = unit.delete_nodes(ip_address=addrs[-1])
assert [n.cloud_instance_address for n in gone] == [addrs[-1]]
off = unit.power_off_nodes(num_power_off_nodes=1)
assert len(off) == 1 and off[0].state == "POWER_OFF"
assert len(unit.find_ip_addresses(node_state="RUNNING")) == 1
on = unit.power_on_nodes(node_no=off[0].no)
assert on[0].state == "RUNNING"
try:
    unit.add_nodes(num_nodes=1)
    raise AssertionError("a wrong keyword was accepted")
except TypeError as e:
    assert "num_nodes" in str(e)
print("nodes ok")
print(os.environ.get("TEST_KEEP") and "kept" or "")
if not os.environ.get("TEST_KEEP"):
    ug.cleanup()
    assert vcp.get_ugroup("pytut") is None
    print("cleanup ok")

# The SDK 18.x forms.
old = VcpSDK("token", "pylegacy")
spec = old.spec.find_spec("aws", "small")
spec.node_ips = [os.environ["TEST_ADDR"]]
unit = old.unit.create("srv", spec, wait_for=True, verbose=0)
assert [n.cloud_instance_address for n in old.unit.find_node(unit_name="srv")] == [os.environ["TEST_ADDR"]]
assert len(old.unit.df_node()) == 1
old.cleanup(wait_for=True)
assert vcp.get_ugroup("pylegacy") is None
try:
    VcpSDK("token").unit.create("x", spec)
    raise AssertionError("v.unit without vc_name did not raise")
except NotImplementedError as e:
    assert "vc_name" in str(e)
print("legacy ok")
