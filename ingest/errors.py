"""The one ingestion error: a file that cannot be read, with a reason a person can act on."""


class IngestError(Exception):
    """Raised for a file that must be skipped; the message is Vietnamese and says why."""
