"""``e2nas export``: a found architecture as a model file that runs without e2nas (ONNX, ``torch.export``)."""

from e2nas.export.core import (
    FORMATS,
    ExportError,
    ExportSpec,
    check_export,
    check_writable,
    export_model,
    load_metadata,
    spec_from_arch,
    spec_from_run,
)

__all__ = [
    "FORMATS",
    "ExportError",
    "ExportSpec",
    "check_export",
    "check_writable",
    "export_model",
    "load_metadata",
    "spec_from_arch",
    "spec_from_run",
]
