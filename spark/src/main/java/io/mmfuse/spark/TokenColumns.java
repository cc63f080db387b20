package io.mmfuse.spark;

import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.api.proto.TokenSequenceProto;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The column type of a tokenized input, as {@link MmfuseTokenizer} writes it and {@link MmfuseModel} reads it: a
 * struct with the fields of a token sequence (modality, kind, length, ids, scales, feature width, features, layout,
 * positions, segment ids), lossless, readable in SQL and stored as ordinary Parquet columns.
 */
public final class TokenColumns {
  private TokenColumns() {}

  /** The struct type of a token column. */
  public static final StructType TYPE = new StructType(new StructField[] {
      DataTypes.createStructField("modality", DataTypes.StringType, false),
      DataTypes.createStructField("kind", DataTypes.StringType, false),
      DataTypes.createStructField("length", DataTypes.IntegerType, false),
      DataTypes.createStructField("ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
      DataTypes.createStructField("scales", DataTypes.createArrayType(DataTypes.FloatType, false), false),
      DataTypes.createStructField("feature_width", DataTypes.IntegerType, false),
      DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), false),
      DataTypes.createStructField("layout", DataTypes.StringType, false),
      DataTypes.createStructField("positions", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
      DataTypes.createStructField("segment_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)});

  /** Whether a column of this type holds token sequences (nullability aside). */
  public static boolean isTokenType(DataType type) {
    if (!(type instanceof StructType s) || s.fields().length != TYPE.fields().length) {
      return false;
    }
    for (int i = 0; i < s.fields().length; i++) {
      StructField f = s.fields()[i];
      StructField want = TYPE.fields()[i];
      if (!f.name().equals(want.name()) || !sameIgnoringNulls(f.dataType(), want.dataType())) {
        return false;
      }
    }
    return true;
  }

  private static boolean sameIgnoringNulls(DataType a, DataType b) {
    if (a instanceof org.apache.spark.sql.types.ArrayType x && b instanceof org.apache.spark.sql.types.ArrayType y) {
      return x.elementType().equals(y.elementType());
    }
    return a.equals(b);
  }

  /** A token sequence as a row of {@link #TYPE}. */
  static Row toRow(TokenSequenceProto p) {
    return RowFactory.create(p.getModality(), p.getKind().name(), p.getLength(), seq(p.getIdsList()),
        seq(p.getScalesList()), p.getFeatureWidth(), seq(p.getFeaturesList()), p.getLayout().name(),
        seq(p.getPositionsList()), seq(p.getSegmentIdsList()));
  }

  /** An array column's value, as Spark's row encoder takes it (a Scala sequence). */
  static scala.collection.immutable.Seq<Object> seq(List<?> values) {
    return scala.collection.immutable.ArraySeq.unsafeWrapArray(values.toArray());
  }

  /** A row of {@link #TYPE} as a token sequence; {@code where} names it in errors. */
  static TokenSequenceProto fromRow(Row r, String where) {
    TokenSequenceProto.Builder b = TokenSequenceProto.newBuilder();
    b.setModality(r.getString(0));
    b.setKind(enumValue(TokenKind.class, r.getString(1), where, "kind"));
    b.setLength(r.getInt(2));
    b.addAllIds(r.<Integer>getList(3));
    b.addAllScales(r.<Float>getList(4));
    b.setFeatureWidth(r.getInt(5));
    b.addAllFeatures(r.<Float>getList(6));
    b.setLayout(enumValue(PositionLayout.class, r.getString(7), where, "layout"));
    b.addAllPositions(r.<Integer>getList(8));
    b.addAllSegmentIds(r.<Integer>getList(9));
    return b.build();
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String name, String where, String field) {
    try {
      return Enum.valueOf(type, name);
    } catch (IllegalArgumentException | NullPointerException e) {
      List<String> known = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        if (!c.name().equals("UNRECOGNIZED")) {
          known.add(c.name());
        }
      }
      throw new io.mmfuse.api.InvalidInputException(where + ": token field '" + field + "' is '" + name
          + "'; expected one of " + known);
    }
  }
}
