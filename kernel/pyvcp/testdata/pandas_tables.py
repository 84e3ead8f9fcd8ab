# With pandas importable, the df_* calls return DataFrames with VCP's columns.
import pandas

from vcpsdk.vcpsdk import VcpSDK

vcp = VcpSDK("t")
flavors = vcp.df_flavors("azure")
assert isinstance(flavors, pandas.DataFrame), type(flavors)
assert list(flavors.columns) == ["flavor", "vm_size", "disk_size_gb", "managed_disk_type"], flavors.columns
assert flavors["vm_size"].tolist()[:3] == ["Standard_B1s", "Standard_D3_v2", "Standard_D4_v2"]
ug = vcp.create_ugroup("frames")
assert list(vcp.df_ugroups().columns)[:6] == ["vcno", "vctype", "vcname", "state", "vcid", "cdate"]
ug.create_unit("u", vcp.get_spec("local", "small"))
nodes = ug.df_nodes()
want = ["vcno", "vcname", "unit_name", "unit_state", "node_no", "node_id", "node_state",
        "cloud_instance_address", "cloud_instance_id", "cloud_instance_name"]
assert list(nodes.columns)[:len(want)] == want and len(nodes) == 1, nodes
units = ug.df_units()
assert list(units.columns)[:8] == ["vctype", "vcno", "vcname", "vc_state", "vcid", "cdate", "unit_name", "unit_state"]
assert "<table" in nodes._repr_html_()
ug.cleanup()
print("frames ok")
