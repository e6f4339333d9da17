"""Reports on what a server generated: the usage summary and its daily chart."""
