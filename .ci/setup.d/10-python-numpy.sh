# The GGUF compatibility tests compare Sift's converter with tests/tools/gguf_write.py, which needs numpy.
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "installing python3-numpy for the GGUF compatibility tests"
  apt_install python3-numpy
fi
