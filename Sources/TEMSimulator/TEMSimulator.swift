// TEMSimulator module.
