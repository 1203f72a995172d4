// RegieModel
