package io.mmfuse.examples.cli;

import io.mmfuse.api.safetensors.SafeTensors;
import io.mmfuse.api.safetensors.SafeTensorsWriter;
import io.mmfuse.fusion.hf.HfCheckpoints;
import io.mmfuse.fusion.hf.HfFeeds;
import io.mmfuse.fusion.inference.FusedModel;
import io.mmfuse.runtime.RuntimeOptions;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmfuse hf-run}: builds a fused model from a Hugging Face checkpoint (bert, vit or vilt), runs it on the
 * tensors of a safetensors file found under their Hugging Face names, and writes {@code last_hidden_state} and,
 * where the model has a pooler, {@code pooler_output}.
 */
@Command(name = "hf-run", description = "Run a Hugging Face checkpoint (bert, vit, vilt) on safetensors inputs.")
final class HfRunCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
      description = "A directory with config.json and model.safetensors.")
  Path checkpoint;

  @Option(names = "--inputs", required = true, paramLabel = "FILE.safetensors",
      description = "input_ids, attention_mask, token_type_ids, pixel_values, pixel_mask (as the model needs).")
  Path inputs;

  @Option(names = "--output", required = true, paramLabel = "FILE.safetensors", description = "Where outputs go.")
  Path output;

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() {
    RuntimeOptions options = runtime.over(io.mmfuse.api.proto.RuntimeSpec.getDefaultInstance());
    TensorFlowRuntime.Placement placement = TensorFlowRuntime.place(options);
    RuntimeMixin.warn(spec, placement.warning());
    HfCheckpoints.Imported imported = HfCheckpoints.read(checkpoint);
    SafeTensors in = SafeTensors.open(inputs);
    try (FusedModel model = FusedModel.createForInference(imported.config(), placement)) {
      model.load(imported.weights(), checkpoint.toString());
      FusedModel.Output out = model.forward(HfFeeds.fromSafetensors(imported, in));
      SafeTensorsWriter w = new SafeTensorsWriter()
          .addFloats("last_hidden_state", out.lastHiddenState(), out.batch(), out.length(), out.width())
          .putMetadata("model_type", imported.modelType());
      if (out.pooled() != null) {
        w.addFloats("pooler_output", out.pooled(), out.batch(), out.width());
      }
      w.write(output);
    }
    return 0;
  }
}
