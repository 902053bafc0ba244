# gradcore on an NVIDIA CUDA 12 runtime image: installs gradcore[cuda12,test] from this
# repository and runs the test suite by default (the `gpu` tests need `--gpus all`).
#
#   docker build -t gradcore .
#   docker run --gpus all gradcore                               # the tests
#   docker run --gpus all gradcore python bench/gpu_check.py     # the GPU check
ARG CUDA_VERSION=12.4.1
FROM nvidia/cuda:${CUDA_VERSION}-runtime-ubuntu22.04
ARG CUDA_VERSION

ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# The runtime image has NVRTC (which compiles the RawKernels); cuda-cudart-dev adds the CUDA
# headers CuPy's own float16 kernels include (cuda_fp16.h).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
      "cuda-cudart-dev-$(echo "${CUDA_VERSION}" | cut -d. -f1,2 | tr . -)" \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:${PATH}

WORKDIR /opt/gradcore
COPY . .
RUN python -m pip install --upgrade pip \
 && python -m pip install ".[cuda12,test]"

CMD ["python", "-m", "pytest", "-q"]
