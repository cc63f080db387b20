package io.mmfuse.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.api.proto.TokenSequenceProto;
import org.junit.jupiter.api.Test;

class TokenSequenceTest {
  @Test
  void discreteSequenceCarriesIdsPositionsAndSegments() {
    TokenSequence s = TokenSequence.ofIds("text", new int[] {101, 7, 102}, new int[] {0, 0, 1});
    assertEquals(3, s.length());
    assertArrayEquals(new int[] {0, 1, 2}, s.positions());
    assertTrue(s.hasSegments());
    assertEquals(PositionLayout.SEQUENCE, s.layout());
  }

  @Test
  void gridSequenceRoundTripsThroughProtobuf() throws Exception {
    float[] features = {1, 2, 3, 4, 5, 6};
    TokenSequence s = TokenSequence.ofGridFeatures("image", 3, features, new int[] {0, 0, 0, 1});
    assertEquals(2, s.length());
    byte[] wire = s.toProto().toByteArray();
    TokenSequence back = TokenSequence.fromProto(TokenSequenceProto.parseFrom(wire));
    assertEquals(s, back);
  }

  @Test
  void scaledDiscreteSequenceRoundTrips() {
    TokenSequence s =
        new TokenSequence(
            "table", TokenKind.DISCRETE, new int[] {0, 5}, new float[] {0.5f, 1f}, 0, null,
            PositionLayout.SEQUENCE, new int[] {0, 1}, null);
    assertTrue(s.isScaled());
    assertEquals(s, TokenSequence.fromProto(s.toProto()));
  }

  @Test
  void rejectsPositionsThatDoNotMatchTheTokens() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> TokenSequence.ofGridFeatures("image", 3, new float[6], new int[] {0, 0}));
    assertTrue(e.getMessage().contains("expected 4 position values"), e.getMessage());
  }

  @Test
  void rejectsFeaturesThatAreNotWholeTokens() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> TokenSequence.ofGridFeatures("image", 4, new float[6], new int[] {0, 0}));
    assertTrue(e.getMessage().contains("not a whole number of tokens of width 4"), e.getMessage());
  }

  @Test
  void rejectsAWireSequenceWhoseLengthDisagrees() {
    TokenSequenceProto p = TokenSequence.ofIds("text", new int[] {1, 2}).toProto().toBuilder().setLength(3).build();
    assertThrows(InvalidInputException.class, () -> TokenSequence.fromProto(p));
  }

  @Test
  void tokenSpaceRefusesADiscreteSpaceWithoutVocabulary() {
    assertThrows(InvalidConfigurationException.class, () -> TokenSpace.discrete("text", 0, 512, 2));
    assertEquals(196, TokenSpace.grid("image", 768, 14, 14).maxLength());
  }
}
