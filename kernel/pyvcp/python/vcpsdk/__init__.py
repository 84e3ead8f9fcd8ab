"""The VCP SDK as ocs serves it: OCS templates' `from vcpsdk.vcpsdk import
VcpSDK` runs their unit groups, units and nodes on ocs's providers (local
nodes, existing servers), through the ocs process that runs the notebook.
"""

# Marks this package as ocs's (the kernel tells it from an environment's own
# VCP SDK by this name).
__ocs__ = True
__version__ = "25.04.0+ocs"
