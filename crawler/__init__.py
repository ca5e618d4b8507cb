"""Network to database: arXiv harvest, code links, repository fetching."""
