package io.mmfuse.modality.image;

import io.mmfuse.api.safetensors.SafeTensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

final class Fixtures {
  private Fixtures() {}

  static final List<String> SHARED_IMAGES =
      List.of("china.jpg", "flower.jpg", "gray_120x80.png", "rgb_224x224.jpg", "rgb_224x224.png", "rgb_640x480.jpg",
          "rgb_640x480.png", "rgb_97x301.jpg", "rgb_97x301.png", "rgba_300x300.png");

  static Path file(String name) {
    try {
      return Path.of(Fixtures.class.getResource("/fixtures/images/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test fixture " + name, e);
    }
  }

  private static SafeTensors hf;

  /** The pixel values transformers 5.17.0 returned (the shared reference). */
  static synchronized SafeTensors huggingFace() {
    if (hf == null) {
      try (InputStream in = new GZIPInputStream(
          Fixtures.class.getResourceAsStream("/fixtures/images/image_reference.safetensors.gz"))) {
        hf = SafeTensors.parse(ByteBuffer.wrap(in.readAllBytes()), "image_reference.safetensors");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return hf;
  }

  /** What Pillow returned for the images of pil/. */
  static SafeTensors pil() {
    return SafeTensors.open(file("pil_reference.safetensors"));
  }
}
