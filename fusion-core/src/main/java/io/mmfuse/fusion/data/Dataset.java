package io.mmfuse.fusion.data;

import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A training or evaluation data set read from a CSV or JSONL file: each column is an input, of the modality whose
 * plugin claims it (a column of image paths relative to the file: image; free text: text; the rest together: one
 * table input named {@code table}; a plugin's own kind of column: that plugin's); the label column is named by the
 * caller. The spec may name the inputs itself.
 *
 * @param source the file, named in errors
 * @param file the file read (null for data made in memory)
 * @param labelColumn the label column ("" for unlabelled data)
 * @param inputs the inputs' specs (name and modality; settings from the spec when it gave them)
 * @param examples per example, its inputs by name: a String (text), a Path (image), a Map of cells (table), or null
 *     when missing
 * @param labels per example, the label cell ("" when the file has no label column)
 * @param groups per example, its group's value ({@link ReadOptions#group()}); empty when no group column was named
 * @param columns what was inferred of each column of the file, in file order, with what looks wrong
 */
public record Dataset(String source, Path file, String labelColumn, List<InputSpec> inputs,
    List<Map<String, Object>> examples, List<String> labels, List<String> groups, List<ColumnProfile> columns)
    implements ExampleSource {

  public Dataset {
    if (!groups.isEmpty() && groups.size() != examples.size()) {
      throw new IllegalArgumentException("groups: " + groups.size() + " for " + examples.size() + " examples");
    }
  }

  /** A data set made in memory, without groups or column profiles. */
  public Dataset(String source, Path file, String labelColumn, List<InputSpec> inputs,
      List<Map<String, Object>> examples, List<String> labels) {
    this(source, file, labelColumn, inputs, examples, labels, List.of(), List.of());
  }

  /**
   * How columns are read beyond what modalities claim.
   *
   * @param ignore columns that are never inputs
   * @param modalities columns whose modality is given (column to modality name: "text", "image", a plugin's), not
   *     inferred
   * @param group a column whose value names the thing a row measures (rows of one group are split together); never
   *     an input; null for none
   */
  public record ReadOptions(java.util.Set<String> ignore, Map<String, String> modalities, String group) {
    /** Nothing ignored, nothing forced, no group. */
    public static final ReadOptions NONE = new ReadOptions(java.util.Set.of(), Map.of(), null);

    public ReadOptions {
      ignore = java.util.Set.copyOf(ignore);
      modalities = Map.copyOf(modalities);
    }
  }

  /**
   * What a data set's reader inferred of one column, for the training log.
   *
   * @param name the column
   * @param role what it became: "label", "ignored", "group", or the input it feeds
   * @param modality the modality of that input ("" for the others)
   * @param present rows with a value
   * @param missing rows without one
   * @param distinct distinct present values
   * @param warnings what looks wrong (an id, a constant, a leak of the label), each with how to drop the column
   */
  public record ColumnProfile(String name, String role, String modality, int present, int missing, int distinct,
      List<String> warnings) {
    public ColumnProfile {
      warnings = List.copyOf(warnings);
    }
  }

  /** Reads a file with the modality plugins on this class's class path; see {@link #read(Path, String, ModelSpec, ModalityRegistry)}. */
  public static Dataset read(Path file, String label, ModelSpec spec) {
    return read(file, label, spec, Plugins.load(Dataset.class.getClassLoader()));
  }

  /** Reads a file with no options; see {@link #read(Path, String, ModelSpec, ModalityRegistry, ReadOptions)}. */
  public static Dataset read(Path file, String label, ModelSpec spec, ModalityRegistry registry) {
    return read(file, label, spec, registry, ReadOptions.NONE);
  }

  /**
   * Reads a file; {@code label} may be null for unlabelled data; {@code spec} may be null or name the inputs. Columns
   * the spec does not name are claimed by the registered modalities ({@link TokenizerFactory#claim}) unless the
   * options ignore them or give their modality: the strongest claim wins, and the columns of a modality that groups
   * them (the table) form one input named after it.
   */
  public static Dataset read(Path file, String label, ModelSpec spec, ModalityRegistry registry,
      ReadOptions options) {
    try (DataFile f = DataFile.open(file, label, spec, registry, options, BadRows.FAIL)) {
      return f.toDataset();
    }
  }

  @Override
  public int size() {
    return examples.size();
  }

  @Override
  public Example example(int row) {
    return new Example(examples.get(row), labels.get(row));
  }

  @Override
  public String label(int row) {
    return labels.get(row);
  }

  @Override
  public String where(int row) {
    return "data " + source + ", example " + (row + 1);
  }

  /**
   * The columns that look like ids (many distinct values) whose value most validation rows share with a training
   * row, with the share: rows that measure the same thing twice, on both sides of a split (use a group column).
   */
  @Override
  public Map<String, Double> sharedAcrossSplit(List<Integer> train, List<Integer> validation) {
    return ColumnChecks.sharedAcrossSplit(this, train, validation);
  }

  /** The same rows with other input specs (the same names, settings changed). */
  @Override
  public Dataset withInputs(List<InputSpec> specs) {
    return new Dataset(source, file, labelColumn, List.copyOf(specs), examples, labels, groups, columns);
  }

  /** This data set's inputs as a spec names them, for reading another file (a validation file) the same way. */
  @Override
  public ModelSpec inputSpec() {
    return ModelSpec.newBuilder().addAllInputs(inputs).build();
  }
}
