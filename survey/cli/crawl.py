"""`survey crawl`."""
