package io.s3index.queryapi.listing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonOutTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static String viaJsonOut(String text) {
    return new String(new JsonOut(16).string(text.getBytes(StandardCharsets.UTF_8)).toByteArray(),
        StandardCharsets.UTF_8);
  }

  private static String viaJackson(String text) throws Exception {
    return MAPPER.writeValueAsString(text);
  }

  @Test
  void escapesEveryAsciiCharacterAsJacksonDoes() throws Exception {
    for (char c = 0; c < 0x80; c++) {
      String text = "a" + c + "b";
      assertThat(viaJsonOut(text)).as("U+%04X", (int) c).isEqualTo(viaJackson(text));
    }
  }

  @Test
  void findsTheOneByteThatNeedsAnEscapeWherever() {
    for (int length = 1; length <= 24; length++) {
      for (int at = 0; at < length; at++) {
        for (int c = 0; c < 256; c++) {
          byte[] text = new byte[length];
          java.util.Arrays.fill(text, (byte) (at % 2 == 0 ? 'x' : 0xC3));
          text[at] = (byte) c;
          boolean expected = c < 0x20 || c == '"' || c == '\\';
          assertThat(JsonOut.needsEscape(text)).as("byte %02X at %d of %d", c, at, length).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void passesNonAsciiTextThroughAsJacksonDoes() throws Exception {
    List<String> texts = new ArrayList<>(List.of("", "plain", "caf\u00e9", "\u2028\u2029", "\u7f8e\u8853",
        "\ud83d\ude00 emoji", "tab\there", "new\nline", "cr\r", "back\\slash", "\"quoted\"", "\\N", "\u0000",
        "\u001f\u007f", "a/b"));
    Random random = new Random(5);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder s = new StringBuilder();
      int length = random.nextInt(40);
      for (int j = 0; j < length; j++) {
        int codePoint = switch (random.nextInt(4)) {
          case 0 -> random.nextInt(0x80);
          case 1 -> 0x80 + random.nextInt(0x780);
          case 2 -> 0x800 + random.nextInt(0xD800 - 0x800);
          default -> 0x10000 + random.nextInt(0x100000);
        };
        s.appendCodePoint(codePoint);
      }
      texts.add(s.toString());
    }
    for (String text : texts) {
      assertThat(viaJsonOut(text)).isEqualTo(viaJackson(text));
    }
  }

  @Test
  void writesNumbersAndInstantsAsJacksonAndInstantDo() throws Exception {
    long[] numbers = {0, 1, 9, 10, 99, 100, -1, -10, 1_000_000_000_000L, Long.MAX_VALUE, Long.MIN_VALUE,
        Long.MIN_VALUE + 1};
    JsonOut out = new JsonOut(1).beginArray();
    for (long n : numbers) {
      out.number(n);
    }
    out.endArray();
    assertThat(new String(out.toByteArray(), StandardCharsets.UTF_8)).isEqualTo(MAPPER.writeValueAsString(numbers));

    Instant[] instants = {Instant.EPOCH, Instant.parse("2025-06-01T12:00:00.123456Z"),
        Instant.parse("1969-12-31T23:59:59.999999999Z"), Instant.MAX, Instant.MIN};
    out = new JsonOut(1).beginArray();
    List<String> expected = new ArrayList<>();
    for (Instant instant : instants) {
      out.instant(instant);
      expected.add(instant.toString());
    }
    out.endArray();
    assertThat(new String(out.toByteArray(), StandardCharsets.UTF_8)).isEqualTo(MAPPER.writeValueAsString(expected));
  }

  @Test
  void writesTheSameDocumentAsJacksonsGenerator() throws Exception {
    JsonOut out = new JsonOut(1);
    out.beginObject()
        .name("data").beginArray()
        .beginObject().name("key").string("a\tb").name("size").number(Long.MIN_VALUE)
        .name("etag").string((byte[]) null).name("metadata").rawValue("{\"k\": [1, \"v\"]}".getBytes(StandardCharsets.UTF_8))
        .endObject()
        .beginObject().name("size").number(0).name("metadata").rawValue(null).endObject()
        .endArray()
        .name("common_prefixes").beginArray().string("x/").string("y/").endArray()
        .name("empty").beginArray().endArray()
        .name("pagination").beginObject()
        .name("has_next").bool(true).name("has_previous").bool(false)
        .name("next_cursor").string((String) null).name("page_size").number(Long.MAX_VALUE)
        .endObject()
        .endObject();

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    try (JsonGenerator json = MAPPER.getFactory().createGenerator(expected)) {
      json.writeStartObject();
      json.writeArrayFieldStart("data");
      json.writeStartObject();
      json.writeStringField("key", "a\tb");
      json.writeNumberField("size", Long.MIN_VALUE);
      json.writeNullField("etag");
      json.writeFieldName("metadata");
      json.writeRawValue("{\"k\": [1, \"v\"]}");
      json.writeEndObject();
      json.writeStartObject();
      json.writeNumberField("size", 0);
      json.writeNullField("metadata");
      json.writeEndObject();
      json.writeEndArray();
      json.writeArrayFieldStart("common_prefixes");
      json.writeString("x/");
      json.writeString("y/");
      json.writeEndArray();
      json.writeArrayFieldStart("empty");
      json.writeEndArray();
      json.writeObjectFieldStart("pagination");
      json.writeBooleanField("has_next", true);
      json.writeBooleanField("has_previous", false);
      json.writeStringField("next_cursor", null);
      json.writeNumberField("page_size", Long.MAX_VALUE);
      json.writeEndObject();
      json.writeEndObject();
    }
    assertThat(out.size()).isEqualTo(expected.size());
    assertThat(new String(out.toByteArray(), StandardCharsets.UTF_8)).isEqualTo(expected.toString(StandardCharsets.UTF_8));
    assertThat(MAPPER.readTree(out.toByteArray()).at("/data/0/metadata/k/1").asText()).isEqualTo("v");
  }
}
