"""The mdx plugin of the VCP SDK, present so that templates import it; mdx
(its REST API and its virtual machines) is not available in ocs."""

__all__ = [
    "MdxResourceExt",
    "MDX_VM_SPEC_SCHEMA",
    "SLEEP_TIME_SEC",
    "SLEEP_COUNT",
    "DEPLOY_VM_SLEEP_COUNT",
]

MDX_VM_SPEC_SCHEMA = {}
SLEEP_TIME_SEC = 10
SLEEP_COUNT = 60
DEPLOY_VM_SLEEP_COUNT = 90

_MSG = (
    "mdx is not available in ocs: its virtual machines cannot be made here. "
    "Run the template's nodes on ocs's providers instead "
    "(ocs run --provider local, or onpremises for existing servers)"
)


class MdxResourceExt:
    """Stands for the mdx plugin; making one raises NotImplementedError."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(_MSG)
