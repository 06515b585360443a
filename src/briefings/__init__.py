"""briefings: a searchable archive of government press-briefing transcripts."""

__version__ = "0.1.0"
