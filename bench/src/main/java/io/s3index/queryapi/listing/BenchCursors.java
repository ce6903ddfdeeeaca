package io.s3index.queryapi.listing;

import io.s3index.queryapi.QueryString;
import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.cursor.CursorCodec;

/**
 * Mints the cursor a listing would hand out at a given boundary, so that the benchmarks can start
 * a walk at a known depth without walking there. It lives in the bench module, in the listing's
 * package (the request's scope is package-private there), so that the API ships no such hook.
 */
public final class BenchCursors {

  private final CursorCodec codec;

  public BenchCursors(CursorCodec codec) {
    this.codec = codec;
  }

  /**
   * A next-page cursor for a listing of {@code bucket} with the given raw query (filters and
   * sort, no cursor), whose last row had {@code sortValue} (null for key order) and {@code key}.
   */
  public String after(String bucket, String rawQuery, String sortValue, String key) {
    ListingRequest request = ListingRequest.parse(bucket, QueryString.parse(rawQuery), codec);
    return codec.encode(Cursor.Direction.NEXT, sortValue, key, request.scope());
  }
}
