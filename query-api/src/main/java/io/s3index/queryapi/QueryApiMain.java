package io.s3index.queryapi;

import io.s3index.shared.config.ConfigException;
import io.s3index.shared.config.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar s3index-query-api-all.jar}: serves the index over HTTP. */
public final class QueryApiMain {

  private static final Logger log = LoggerFactory.getLogger(QueryApiMain.class);

  private QueryApiMain() {}

  public static void main(String[] args) {
    if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println("""
          Usage: java -jar s3index-query-api-all.jar
          Serves cursor-paged listings of the S3 object index over HTTP.
          Configured by environment variables (defaults in brackets):
            S3INDEX_API_HOST [0.0.0.0]  S3INDEX_API_PORT [7070]
            S3INDEX_CURSOR_SECRET [random per process: set it, 16+ bytes, same on every instance]
            S3INDEX_CURSOR_TTL [24h]  (0 = cursors never expire)
            S3INDEX_API_TOKENS        '<token> <scope>...' entries separated by ';'
                                      (scope: * | bucket | bucket/prefix), or
            S3INDEX_API_TOKENS_FILE   the same, one entry per line; or
            S3INDEX_API_OPEN [false]  true serves every bucket to anyone
            S3INDEX_API_RATE_LIMIT [50]  S3INDEX_API_RATE_BURST [100]  (per token; 0 = off)
            S3INDEX_S3API_PORT [7071]   the S3-compatible endpoint (-1 = off)
            S3INDEX_S3API_KEYS          '<access-key-id> <secret> <scope>...' entries separated by ';'
                                        (or S3INDEX_S3API_KEYS_FILE); without them the endpoint is
                                        off unless S3INDEX_API_OPEN=true
            S3INDEX_S3API_DOMAIN        virtual-hosted style: <bucket>.<domain> names the bucket
            S3INDEX_S3API_REGION [us-east-1]  S3INDEX_S3API_BUCKETS  (known before any event)
            S3INDEX_S3API_ORIGIN        http://KEY:SECRET@host:port to stream GetObject from
            S3INDEX_DB_URL [jdbc:postgresql://localhost:5432/s3index]
            S3INDEX_DB_USER [s3index]  S3INDEX_DB_PASSWORD [s3index]  S3INDEX_DB_POOL_SIZE [8]""");
      return;
    }
    ApiConfig config;
    try {
      config = ApiConfig.from(Settings.fromEnvironment());
    } catch (ConfigException e) {
      System.err.println("s3index-query-api: " + e.getMessage());
      System.exit(2);
      return;
    }
    QueryApi api = QueryApi.start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(api::close, "query-api-shutdown"));
    log.info("query API listening on http://{}:{}", config.host(), api.port());
  }
}
