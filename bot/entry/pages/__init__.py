"""Evidence pages: server-rendered HTML for alerts, agencies and the claim store."""
