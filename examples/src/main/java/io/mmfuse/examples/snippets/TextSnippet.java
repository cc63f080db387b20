package io.mmfuse.examples.snippets;

import io.mmfuse.modality.text.Encoding;
import io.mmfuse.modality.text.HfTokenizer;
import java.nio.file.Path;

/** The README's text example, compiled so that it stays true. */
final class TextSnippet {
  private TextSnippet() {}

  static Encoding encode(Path file) {
    HfTokenizer bert = HfTokenizer.fromFile(file);
    Encoding e = bert.encodePair("Is there a red circle?", "Two shapes.", true); // ids and type ids 0/1
    return e;
  }
}
