package io.mmfuse.fusion.train;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.proto.HeadSpec;
import io.mmfuse.api.proto.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * How label cells become the head's targets, the same for training, evaluation and the command line: a class name
 * (classification: one-hot), class names joined by {@code |} or {@code ;} (multi-label: 0/1 per class), or numbers
 * joined the same way (regression: one per output).
 */
public final class LabelEncoder {
  private final Task task;
  private final List<String> classes;
  private final int outputs;
  private final Map<String, Integer> index;

  private LabelEncoder(Task task, List<String> classes, int outputs) {
    this.task = task;
    this.classes = List.copyOf(classes);
    this.outputs = outputs;
    Map<String, Integer> m = new java.util.HashMap<>();
    for (int i = 0; i < this.classes.size(); i++) {
      m.put(this.classes.get(i), i);
    }
    this.index = m;
  }

  /** The encoder of a trained model's head. */
  public static LabelEncoder of(HeadSpec head) {
    Task task = task(head);
    if (task == Task.CONTRASTIVE) {
      LabelEncoder e = new LabelEncoder(task, List.of(), 2);
      e.contrastive = head;
      return e;
    }
    return task == Task.REGRESSION ? new LabelEncoder(task, List.of(), Math.max(1, head.getOutputs()))
        : new LabelEncoder(task, head.getClassesList(), head.getClassesCount());
  }

  /**
   * The encoder for a head to train: the head's classes when it names them, else every class seen in
   * {@code labels}, sorted. Fails when a classification has fewer than two classes; {@code source} names the data.
   */
  public static LabelEncoder fit(HeadSpec head, Iterable<String> labels, String source) {
    Task task = task(head);
    if (task == Task.REGRESSION || task == Task.CONTRASTIVE) {
      return of(head);
    }
    List<String> classes = new ArrayList<>(head.getClassesList());
    if (classes.isEmpty()) {
      TreeSet<String> seen = new TreeSet<>();
      for (String l : labels) {
        seen.addAll(split(l, task));
      }
      classes.addAll(seen);
    }
    if (classes.size() < 2) {
      throw new InvalidInputException("data " + source + ": labels have " + classes.size()
          + " class(es); classification needs at least 2");
    }
    return new LabelEncoder(task, classes, classes.size());
  }

  private static Task task(HeadSpec head) {
    return head.getTask() == Task.TASK_UNSPECIFIED ? Task.CLASSIFICATION : head.getTask();
  }

  /** The head this encoder is for, as a spec records it (the label column aside). */
  public HeadSpec head(String labelColumn) {
    if (contrastive != null) {
      return contrastive;
    }
    return HeadSpec.newBuilder().setTask(task).addAllClasses(classes)
        .setOutputs(task == Task.REGRESSION ? outputs : 0).setLabelColumn(labelColumn).build();
  }

  public Task task() {
    return task;
  }

  /** Class names in output order (empty for regression). */
  public List<String> classes() {
    return classes;
  }

  /** A contrastive head, kept whole (its sides); null for the other tasks. */
  private HeadSpec contrastive;

  /** Targets per label (contrastive: 2, the batch's duplicate ids, which the trainer writes per batch). */
  public int outputs() {
    return outputs;
  }

  private static List<String> split(String label, Task task) {
    if (task == Task.MULTI_LABEL) {
      List<String> out = new ArrayList<>();
      for (String s : label.split("[|;]")) {
        if (!s.isBlank()) {
          out.add(s.trim());
        }
      }
      return out;
    }
    return label.isBlank() ? List.of() : List.of(label.trim());
  }

  /**
   * Writes the targets of one label at {@code offset}. With {@code strict}, a class the model does not know and an
   * empty classification label are refused; otherwise they give no positive target (a validation row whose class
   * the training rows lack). {@code where} names the row in errors.
   */
  public void encode(String label, float[] into, int offset, boolean strict, String where) {
    if (task == Task.CONTRASTIVE) {
      return;
    }
    if (task == Task.REGRESSION) {
      String[] parts = label.split("[|;]");
      if (parts.length != outputs) {
        throw new InvalidInputException(where + ": expected " + outputs + " numeric label value(s), found '" + label
            + "'");
      }
      for (int k = 0; k < outputs; k++) {
        try {
          into[offset + k] = Float.parseFloat(parts[k].trim());
        } catch (NumberFormatException e) {
          throw new InvalidInputException(where + ": regression label '" + label + "' is not a number");
        }
      }
      return;
    }
    List<String> names = split(label, task);
    if (strict && names.isEmpty() && task == Task.CLASSIFICATION) {
      throw new InvalidInputException(where + ": the label is empty; expected one of " + classes);
    }
    for (String l : names) {
      Integer c = index.get(l);
      if (c != null) {
        into[offset + c] = 1f;
      } else if (strict) {
        throw new InvalidInputException(where + ": label '" + l + "' is not one of the model's classes " + classes);
      }
    }
  }

  /** The targets [N, outputs] of a list of labels; {@code source} names the data, rows are counted from 1. */
  public float[] encodeAll(List<String> labels, boolean strict, String source) {
    float[] t = new float[labels.size() * outputs];
    for (int i = 0; i < labels.size(); i++) {
      encode(labels.get(i), t, i * outputs, strict, "data " + source + ", example " + (i + 1));
    }
    return t;
  }

  /**
   * The labels one row's outputs predict: the most probable class (classification), every class at or above 0.5
   * (multi-label, possibly none), nothing for regression.
   */
  public List<String> decode(float[] outputs) {
    List<String> out = new ArrayList<>();
    if (task == Task.MULTI_LABEL) {
      for (int c = 0; c < classes.size(); c++) {
        if (outputs[c] >= 0.5f) {
          out.add(classes.get(c));
        }
      }
    } else if (task != Task.REGRESSION) {
      int best = 0;
      for (int c = 1; c < classes.size(); c++) {
        best = outputs[c] > outputs[best] ? c : best;
      }
      out.add(classes.get(best));
    }
    return out;
  }
}
