package io.mmfuse.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mmfuse.api.proto.Example;
import io.mmfuse.api.proto.TokenSequenceProto;
import io.mmfuse.api.safetensors.SafeTensors;
import io.mmfuse.api.safetensors.TensorInfo;
import java.nio.ByteBuffer;

/**
 * Coverage-guided fuzzing of the parsers in {@code api}: safetensors headers and data, the model spec's text format,
 * and the protobuf records fed to a Predictor. Each input parses, or is refused with an mmfuse error naming it.
 */
class ParsersFuzzTest {
  /** Names the input and says something: not a bare ": null" (unless the input itself said null there). */
  private static void refusedClearly(MmfuseException e, String name, String input) {
    String m = e.getMessage();
    assertTrue(m.contains(name) && (!m.endsWith(": null") || input.contains("null")), m);
  }

  @FuzzTest(maxDuration = "10m")
  void safetensors(byte[] data) {
    try {
      SafeTensors st = SafeTensors.parse(ByteBuffer.wrap(data), "fuzz.safetensors");
      for (TensorInfo t : st.tensors().values()) {
        if (t.end() - t.begin() < 1 << 20) {
          st.floats(t.name());
        }
      }
    } catch (MmfuseException e) {
      refusedClearly(e, "fuzz.safetensors", new String(data, java.nio.charset.StandardCharsets.ISO_8859_1));
    }
  }

  @FuzzTest(maxDuration = "10m")
  void specText(FuzzedDataProvider in) {
    String text = in.consumeRemainingAsString();
    try {
      Specs.validate(Specs.parse(text, "fuzz.spec"), "fuzz.spec");
    } catch (MmfuseException e) {
      refusedClearly(e, "fuzz.spec", text);
    }
  }

  @FuzzTest(maxDuration = "10m")
  void records(byte[] data) {
    // A protobuf record off the wire: parsing never throws anything but protobuf's own refusal, and tokens that
    // parse become a TokenSequence or an mmfuse refusal.
    try {
      Example.parseFrom(data);
      TokenSequence.fromProto(TokenSequenceProto.parseFrom(data));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      // Not a record.
    } catch (MmfuseException e) {
      assertTrue(e.getMessage() != null && !e.getMessage().endsWith(": null"), e.getMessage());
    }
  }
}
