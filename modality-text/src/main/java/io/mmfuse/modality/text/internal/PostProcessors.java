package io.mmfuse.modality.text.internal;

import java.util.List;

/** The post-processors of the Hugging Face tokenizers format that mmfuse implements. */
public final class PostProcessors {
  private PostProcessors() {}

  /** One item of a template: a special token's ids, or sequence A or B, with a type id. */
  public record Item(int[] specialIds, char sequence, int typeId) {
    public static Item special(int[] ids, int typeId) {
      return new Item(ids, '\0', typeId);
    }

    public static Item sequence(char which, int typeId) {
      return new Item(null, which, typeId);
    }
  }

  /** Hugging Face's {@code TemplateProcessing} (also how BertProcessing is expressed). */
  public record Template(List<Item> single, List<Item> pair) implements PostProcessor {
    @Override
    public int addedTokens(boolean isPair) {
      int n = 0;
      for (Item item : isPair ? pair : single) {
        if (item.specialIds() != null) {
          n += item.specialIds().length;
        }
      }
      return n;
    }

    @Override
    public void process(int[] a, int[] b, boolean addSpecial, IntList ids, IntList typeIds) {
      if (!addSpecial) {
        PostProcessor.plain(a, b, ids, typeIds);
        return;
      }
      for (Item item : b == null ? single : pair) {
        int[] part = item.specialIds() != null ? item.specialIds() : item.sequence() == 'A' ? a : b;
        ids.addAll(part);
        for (int i = 0; i < part.length; i++) {
          typeIds.add(item.typeId());
        }
      }
    }
  }

  /** BERT's {@code [CLS] A [SEP]} and {@code [CLS] A [SEP] B [SEP]}. */
  public static Template bert(int cls, int sep) {
    return new Template(
        List.of(Item.special(new int[] {cls}, 0), Item.sequence('A', 0), Item.special(new int[] {sep}, 0)),
        List.of(
            Item.special(new int[] {cls}, 0), Item.sequence('A', 0), Item.special(new int[] {sep}, 0),
            Item.sequence('B', 1), Item.special(new int[] {sep}, 1)));
  }
}
