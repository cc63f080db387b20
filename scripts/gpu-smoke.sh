#!/usr/bin/env bash
# GPU smoke test for a machine with an NVIDIA GPU, CUDA 12.x and cuDNN 9 (TensorFlow 2.18's GPU build was made for
# CUDA 12.5 / cuDNN 9.3). It builds mmfuse with -Pgpu, lists the devices TensorFlow sees, and runs a forward pass of
# the tiny BERT fixture, a short training run and predictions with --device gpu. Before each, a probe op pinned to
# the GPU with soft placement off must run there (a missing GPU or CUDA library is an error, never a silent CPU run).
#
# It has not been run by the project's own checks: the GPU machine lent to development sessions has no Java and
# only CUDA 13, on which TensorFlow Java's GPU build cannot run. Everything else about devices is tested on the CPU.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -B -q -Pgpu -DskipTests -pl examples -am package
jar="examples/target/mmfuse.jar"
echo "== devices"
java -jar "$jar" devices | tee /tmp/mmfuse-devices.txt
grep -q $'\tGPU\t' /tmp/mmfuse-devices.txt || { echo "no GPU listed: check the CUDA 12 and cuDNN 9 libraries" >&2; exit 1; }
echo "== forward pass on the GPU"
fixture="fusion-core/src/test/resources/fixtures/hf/bert-tiny"
java -jar "$jar" hf-run --device gpu --checkpoint "$fixture" --inputs "$fixture/reference.safetensors" \
  --output /tmp/mmfuse-gpu-out.safetensors
echo "== training step on the GPU (a few examples)"
printf 'a,b,label\n1,2,x\n2,1,y\n3,4,x\n4,3,y\n5,6,x\n6,5,y\n7,8,x\n8,7,y\n' > /tmp/mmfuse-gpu-train.csv
java -jar "$jar" train --data /tmp/mmfuse-gpu-train.csv --label label --out /tmp/mmfuse-gpu-model \
  --epochs 1 --device gpu
echo "== prediction on the GPU"
java -jar "$jar" predict --model /tmp/mmfuse-gpu-model --input /tmp/mmfuse-gpu-train.csv --device gpu
echo "gpu smoke test passed"
