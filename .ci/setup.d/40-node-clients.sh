# Third-party JS clients the compatibility tests drive against a real server (Hugging Face's
# inference client posts to TEI's root route). Installed into tests/clients/node_modules of this
# checkout (git-ignored); SIFT_NODE_CLIENTS tells the tests, which run on an isolated copy, where.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "installing nodejs and npm for the client compatibility tests"
  apt_install nodejs npm
fi
if [ ! -d tests/clients/node_modules/@huggingface/inference ]; then
  echo "installing @huggingface/inference for the client compatibility tests"
  (cd tests/clients && npm install --no-save --no-audit --no-fund --silent @huggingface/inference@4.13.30)
fi
export SIFT_NODE_CLIENTS="$PWD/tests/clients"
