"""The revisions, oldest first: 0001 is release 427aa63's schema."""
