package io.mmfuse.examples.cli;

import io.mmfuse.api.safetensors.SafeTensorsWriter;
import io.mmfuse.modality.image.ImageConfig;
import io.mmfuse.modality.image.ImagePatchTokenizer;
import io.mmfuse.modality.image.Patches;
import io.mmfuse.modality.image.ProcessedImage;
import io.mmfuse.modality.image.proto.ResizeArithmetic;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmfuse tokenize image}: preprocesses one image as a Hugging Face image processor does and writes its pixel
 * values, patch tokens and patch positions (and pixel mask, for presets that pad) as safetensors.
 */
@Command(name = "image", description = "Preprocess one image and cut it into patch tokens; write safetensors.")
final class TokenizeImageCommand implements Callable<Integer> {
  @Option(names = "--preset", required = true, paramLabel = "vit|clip|vilt",
      description = "Hugging Face image processor to follow: vit, clip or vilt.")
  String preset;

  @Option(names = "--patch", paramLabel = "P", description = "Patch side in pixels (default: the preset's).")
  Integer patch;

  @Option(names = "--pil", description = "Resize with PIL's arithmetic instead of PyTorch's (transformers 5).")
  boolean pil;

  @Option(names = "--input", required = true, paramLabel = "IMAGE", description = "PNG, JPEG, GIF or BMP.")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "FILE.safetensors",
      description = "pixel_values [3,H,W] F32, patches [N,3*P*P] F32, positions [N,2] I32, pixel_mask [H,W] I64.")
  Path output;

  @Override
  public Integer call() {
    ImageConfig config = ImageConfig.preset(preset);
    if (patch != null) {
      config = config.withPatchSize(patch);
    }
    if (pil) {
      config = config.withArithmetic(ResizeArithmetic.PIL);
    }
    ImagePatchTokenizer tokenizer = new ImagePatchTokenizer(config);
    ProcessedImage image = tokenizer.processor().process(tokenizer.decoder().decode(input));
    Patches patches = tokenizer.patches(image);
    SafeTensorsWriter out =
        new SafeTensorsWriter()
            .addFloats("pixel_values", image.pixelValues(), 3, image.height(), image.width())
            .addFloats("patches", patches.features(), patches.count(), patches.width())
            .addInts("positions", patches.positions(), patches.count(), 2)
            .putMetadata("preset", preset)
            .putMetadata("patch_size", Integer.toString(patches.patchSize()))
            .putMetadata("grid", patches.rows() + "x" + patches.columns())
            .putMetadata("dropped_patches", Integer.toString(patches.dropped()));
    if (image.hasMask()) {
      out.addLongs("pixel_mask", image.pixelMask(), image.height(), image.width());
    }
    out.write(output);
    return 0;
  }
}
