package io.mmfuse.modality.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mmfuse.api.ColumnSample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which data columns the text modality claims when no spec names them. */
class TextClaimTest {
  /**
   * Real emoji names (Unicode's, from the emoji-datasource 16.0.0 packages: the first 8 emoji of each category), 2.4
   * words on average; in the data set each is seen twice (two vendors).
   */
  static final List<String> NAMES = List.of(
      "grinning face", "smiling face with open mouth", "smiling face with open mouth and smiling eyes",
      "grinning face with smiling eyes", "smiling face with open mouth and tightly-closed eyes",
      "smiling face with open mouth and cold sweat", "rolling on the floor laughing", "face with tears of joy",
      "waving hand sign", "raised back of hand", "hand with fingers splayed", "raised hand",
      "raised hand with part between middle and ring fingers", "rightwards hand", "leftwards hand", "palm down hand",
      "monkey face", "monkey", "gorilla", "orangutan", "dog face", "dog", "guide dog", "service dog", "grapes",
      "melon", "watermelon", "tangerine", "lemon", "lime", "banana", "pineapple", "earth globe europe-africa",
      "earth globe americas", "earth globe asia-australia", "globe with meridians", "world map",
      "silhouette of japan", "compass", "snow-capped mountain", "jack-o-lantern", "christmas tree", "fireworks",
      "firework sparkler", "firecracker", "sparkles", "balloon", "party popper", "eyeglasses", "sunglasses",
      "goggles", "lab coat", "safety vest", "necktie", "t-shirt", "jeans", "automated teller machine",
      "put litter in its place symbol", "potable water symbol", "wheelchair symbol", "mens symbol", "womens symbol",
      "restroom", "baby symbol", "chequered flag", "triangular flag on post", "crossed flags", "waving black flag",
      "white flag", "rainbow flag", "transgender flag", "pirate flag");
  /** The same data set's subcategories: one word each, few values, many rows per value. */
  static final List<String> SUBCATEGORIES = List.of("alphanum", "animal-amphibian", "animal-bird", "animal-bug",
      "animal-mammal", "arrow", "arts & crafts", "av-symbol", "award-medal", "body-parts");

  static double claim(List<String> values) {
    return new TextTokenizerFactory().claim(new ColumnSample("c", values, 0));
  }

  static List<String> twice(List<String> values) {
    List<String> out = new ArrayList<>(values);
    out.addAll(values);
    return out;
  }

  @Test
  void shortPhrasesWithManyDistinctValuesAreText() {
    double words = NAMES.stream().mapToInt(n -> n.split(" ").length).average().orElseThrow();
    assertEquals(2.44, words, 0.01);
    assertEquals(0.6, claim(twice(NAMES)), 0);
    // Long free text, even with few rows.
    assertEquals(0.6, claim(List.of("the quick brown fox jumps", "a lazy dog sleeps all day")), 0);
  }

  @Test
  void categoriesCodesAndNumbersAreNot() {
    List<String> categories = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      categories.addAll(SUBCATEGORIES);
    }
    assertEquals(0, claim(categories), 0);
    // Codes: one word each, nothing shared.
    List<String> codes = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      codes.add(Integer.toHexString(0x1F600 + i).toUpperCase(java.util.Locale.ROOT));
    }
    assertEquals(0, claim(codes), 0);
    // Two-word values of a small set: a category.
    List<String> few = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      few.add(i % 2 == 0 ? "new york" : "los angeles");
    }
    assertEquals(0, claim(few), 0);
    assertEquals(0, claim(List.of("1.5", "2", "3e4", "7")), 0);
  }
}
