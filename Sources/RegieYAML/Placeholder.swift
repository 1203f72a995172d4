// RegieYAML
