package io.s3index.ops.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.embedded.EmbeddedS3;
import io.s3index.ops.dev.DevStack;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.queryapi.access.AccessPolicy;
import io.s3index.shared.events.ETags;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The bucket browser in a real headless Chromium against the whole system on embedded servers
 * (as {@code ops dev} runs it): what a user does with it, step by step, checked on the page.
 * A failed test leaves a screenshot under {@code target/browser-screenshots/}.
 */
class BrowseIT {

  private static final int BIG = 1_500;
  private static final String HTML_KEY = "<img src=x onerror=\"window.__xss=1\">.html";
  private static final AtomicLong SEQUENCE = new AtomicLong(Instant.now().toEpochMilli() * 1000);

  private static DevStack stack;
  private static ChromeDriver browser;
  private static String base;
  private static final List<ObjectEvent> bigFolder = new ArrayList<>();

  @RegisterExtension
  static final TestWatcher SCREENSHOTS = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      if (browser != null) {
        try {
          Path file = HeadlessChromium.screenshot(browser,
              Path.of("target", "browser-screenshots", context.getDisplayName().replaceAll("\\W+", "_") + ".png"));
          System.err.println("Screenshot of the failed browser test: " + file.toAbsolutePath());
        } catch (Exception e) {
          System.err.println("No screenshot: " + e);
        }
      }
    }
  };

  @BeforeAll
  static void start() {
    browser = HeadlessChromium.start(1280, 900);
    stack = DevStack.start(new DevStack.Options(0, 0, 0, 0, -1, "browse-events", null, 0));
    base = stack.apiUrl();
    List<ObjectEvent> events = new ArrayList<>();
    String[] types = {"image/png", "text/plain", "application/json"};
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < BIG; i++) {
      String key = String.format(Locale.ROOT, "big/item-%05d.bin", i);
      ObjectEvent e = event("gallery", key, 1 + random.nextInt(5_000_000), types[i % 3],
          Map.of("owner", "u" + (i % 7)));
      events.add(e);
      bigFolder.add(e);
    }
    events.add(event("gallery", "big/sub-a/one.txt", 10, "text/plain", Map.of()));
    events.add(event("gallery", "big/sub-b/two.txt", 20, "text/plain", Map.of()));
    events.add(event("gallery", HTML_KEY, 66, "text/html", Map.of("note", "<b>not bold</b>")));
    events.add(event("gallery", "<svg onload=window.__xss=2>/inner.txt", 5, "text/plain", Map.of()));
    events.add(event("other", "secret.txt", 1, "text/plain", Map.of()));
    publish(events);
    upload("gallery", "docs/readme.txt", "hello from the origin".getBytes(StandardCharsets.UTF_8));
    awaitListed("gallery", "big/", BIG);
    awaitListed("other", "", 1);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @BeforeEach
  void freshTab() {
    browser.get(base + "/healthz");
    browser.executeScript("sessionStorage.clear()");
  }

  @Test
  void aUserBrowsesSortsFiltersOpensGoesBackAndSharesTheView() {
    browser.get(base + "/");
    assertThat(browser.getCurrentUrl()).endsWith("/browse");
    // The buckets (once listed), then one of them.
    waitFor(() -> row("gallery") != null);
    click(row("gallery"));
    waitFor(() -> row("big/") != null);
    assertThat(browser.getCurrentUrl()).contains("bucket=gallery");
    // Folders first, with their sizes from the index.
    assertThat(visibleKeys().get(0)).isEqualTo("<svg onload=window.__xss=2>/");
    WebElement big = row("big/");
    assertThat(cell(big, "type")).isEqualTo(String.format(Locale.US, "%,d objects", BIG + 2));
    long bigBytes = bigFolder.stream().mapToLong(ObjectEvent::size).sum() + 30;
    assertThat(cell(big, "size")).isEqualTo(String.format(Locale.ROOT, "%.2f GiB", bigBytes / (double) (1L << 30)));
    assertThat(cell(big, "time")).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d");

    // Into the folder; the 1,000th object is reached by scrolling, the list stays virtual.
    click(big);
    waitFor(() -> row("big/item-00000.bin") != null);
    assertThat(browser.findElement(By.cssSelector("#crumbs [aria-current]")).getText()).isEqualTo("big");
    String thousandth = String.format(Locale.ROOT, "big/item-%05d.bin", 999);
    waitFor(() -> {
      browser.executeScript("document.getElementById('viewport').scrollTop = arguments[0] * 30", 999);
      return row(thousandth) != null && row(thousandth).isDisplayed();
    });
    assertThat(row(thousandth).getText()).contains("item-00999.bin");
    long drawnRows = (Long) browser.executeScript("return document.querySelectorAll('#viewport .r').length");
    assertThat(drawnRows).isLessThan(120);

    // Sort by size, largest first: every object under the folder.
    new Select(browser.findElement(By.id("sort"))).selectByValue("size");
    new Select(browser.findElement(By.id("order"))).selectByValue("desc");
    ObjectEvent largest = bigFolder.stream().max(Comparator.comparingLong(ObjectEvent::size)).orElseThrow();
    waitFor(() -> !visibleKeys().isEmpty() && visibleKeys().get(0).equals(largest.key()));
    assertThat(browser.getCurrentUrl()).contains("sort=size").contains("order=desc").contains("prefix=big%2F");
    assertThat(browser.findElement(By.id("flat")).isSelected()).isTrue();

    // Filter by type.
    click(browser.findElement(By.id("toggle-filters")));
    browser.findElement(By.id("f-type")).sendKeys("image/png");
    click(browser.findElement(By.id("apply")));
    ObjectEvent largestPng = bigFolder.stream().filter(e -> e.contentType().equals("image/png"))
        .max(Comparator.comparingLong(ObjectEvent::size)).orElseThrow();
    waitFor(() -> !visibleKeys().isEmpty() && visibleKeys().get(0).equals(largestPng.key()));
    assertThat(visibleCells("type")).isNotEmpty().allMatch(t -> t.equals("image/png"));
    String filtered = browser.getCurrentUrl();
    assertThat(filtered).contains("content_type=image%2Fpng");

    // Open an object: every field, its metadata, its S3 URI and API URL.
    click(row(largestPng.key()));
    WebElement panel = browser.findElement(By.id("panel"));
    waitFor(panel::isDisplayed);
    assertThat(browser.findElement(By.id("panel-key")).getText()).isEqualTo(largestPng.key());
    assertThat(browser.findElement(By.id("panel-s3uri")).getText()).isEqualTo("s3://gallery/" + largestPng.key());
    String apiUrl = browser.findElement(By.id("panel-apiurl")).getText();
    ApiClient.Response fromApi = new ApiClient(URI.create(base).getPort()).get(URI.create(apiUrl).getRawPath());
    assertThat(fromApi.status()).isEqualTo(200);
    assertThat(fromApi.body().path("key").asText()).isEqualTo(largestPng.key());
    assertThat(panel.getText()).contains(String.format(Locale.US, "%,d bytes", largestPng.size()))
        .contains("image/png").contains(fromApi.body().path("etag").asText()).contains("Storage class")
        .contains("owner").contains(largestPng.metadata().get("owner"));
    assertThat(browser.getCurrentUrl()).contains("object=");

    // Back: the panel closes, the filtered listing is still there; back again: unfiltered.
    browser.navigate().back();
    waitFor(() -> !browser.findElement(By.id("panel")).isDisplayed());
    assertThat(browser.getCurrentUrl()).isEqualTo(filtered);
    assertThat(visibleKeys().get(0)).isEqualTo(largestPng.key());
    browser.navigate().back();
    waitFor(() -> !visibleKeys().isEmpty() && visibleKeys().get(0).equals(largest.key()));
    assertThat(browser.findElement(By.id("f-type")).getAttribute("value")).isEmpty();

    // The shared view, opened afresh: the same listing and controls.
    browser.get(filtered);
    waitFor(() -> !visibleKeys().isEmpty() && visibleKeys().get(0).equals(largestPng.key()));
    assertThat(new Select(browser.findElement(By.id("sort"))).getFirstSelectedOption().getAttribute("value")).isEqualTo("size");
    assertThat(browser.findElement(By.id("f-type")).getAttribute("value")).isEqualTo("image/png");
  }

  @Test
  void keysFullOfHtmlRenderAsText() {
    browser.get(base + "/browse?bucket=gallery");
    waitFor(() -> row(HTML_KEY) != null);
    WebElement html = row(HTML_KEY);
    assertThat(cell(html, "name")).isEqualTo(HTML_KEY);
    assertThat(browser.findElements(By.cssSelector("#viewport img, #viewport script, #viewport svg, #viewport b"))).isEmpty();
    assertThat(cell(row("<svg onload=window.__xss=2>/"), "name")).isEqualTo("<svg onload=window.__xss=2>/");
    click(html);
    waitFor(() -> browser.findElement(By.id("panel")).isDisplayed());
    assertThat(browser.findElement(By.id("panel-key")).getText()).isEqualTo(HTML_KEY);
    assertThat(browser.findElement(By.id("panel-metadata")).getText()).contains("<b>not bold</b>");
    assertThat(browser.findElements(By.cssSelector("#panel img, #panel b"))).isEmpty();
    // Into the folder whose name is markup, and its breadcrumb.
    browser.get(base + "/browse?bucket=gallery&prefix=" + ApiClient.q("<svg onload=window.__xss=2>/"));
    waitFor(() -> row("<svg onload=window.__xss=2>/inner.txt") != null);
    assertThat(browser.findElement(By.cssSelector("#crumbs [aria-current]")).getText()).isEqualTo("<svg onload=window.__xss=2>");
    assertThat(browser.executeScript("return window.__xss === undefined")).isEqualTo(true);
  }

  @Test
  void theKeyboardWalksTheListing() {
    browser.get(base + "/browse?bucket=gallery");
    waitFor(() -> row("big/") != null);
    WebElement grid = browser.findElement(By.id("viewport"));
    assertThat(grid.getAttribute("aria-label")).isNotBlank();
    browser.executeScript("arguments[0].focus()", grid);
    // Folders first: <script…>/, big/, docs/ then the objects.
    grid.sendKeys(Keys.ARROW_DOWN, Keys.ARROW_DOWN);
    waitFor(() -> "big/".equals(selectedKey()));
    grid.sendKeys(Keys.ENTER);
    waitFor(() -> row("big/item-00000.bin") != null);
    assertThat(browser.getCurrentUrl()).contains("prefix=big%2F");
    browser.findElement(By.id("viewport")).sendKeys(Keys.BACK_SPACE);
    waitFor(() -> row("big/") != null && !browser.getCurrentUrl().contains("prefix="));
    browser.findElement(By.id("viewport")).sendKeys(Keys.BACK_SPACE);
    waitFor(() -> row("gallery") != null);
    assertThat(browser.getCurrentUrl()).endsWith("/browse");
  }

  @Test
  void newUploadsShowUpLiveAndDeletesGo() {
    publish(List.of(event("live", "inbox/first.txt", 3, "text/plain", Map.of())));
    awaitListed("live", "inbox/", 1);
    browser.get(base + "/browse?bucket=live&prefix=inbox%2F");
    waitFor(() -> row("inbox/first.txt") != null);
    waitFor(() -> browser.findElement(By.id("freshness")).getText().contains("live"));
    assertThat(browser.findElement(By.id("freshness")).getText()).contains("last event");

    upload("live", "inbox/second.txt", "second".getBytes(StandardCharsets.UTF_8));
    waitFor(() -> row("inbox/second.txt") != null);
    assertThat(row("inbox/second.txt").getAttribute("class")).contains("mark-new");
    publish(List.of(event("live", "inbox/sub/deeper.txt", 4, "text/plain", Map.of())));
    waitFor(() -> row("inbox/sub/") != null);
    publish(List.of(new ObjectEvent("live", "inbox/first.txt", ObjectEvent.Kind.REMOVED, 0, null, null,
        sequencer(), Instant.now(), "ObjectRemoved:Delete")));
    waitFor(() -> row("inbox/first.txt") == null
        || row("inbox/first.txt").getAttribute("class").contains("mark-deleted"));
  }

  @Test
  void withTokensItAsksOnceKeepsTheTokenOutOfTheUrlAndExplainsRefusals() throws Exception {
    AccessPolicy policy = AccessPolicy.parse("gallery-reader-token-1 gallery");
    try (QueryApi api = QueryApi.start(ApiConfig.of("localhost", 0, stack.database()).withAccess(policy, 0, 1))) {
      String url = "http://localhost:" + api.port();
      browser.get(url + "/");
      assertThat(browser.getCurrentUrl()).endsWith("/docs");
      browser.get(url + "/browse?bucket=gallery");
      WebElement dialog = browser.findElement(By.id("token-dialog"));
      waitFor(dialog::isDisplayed);
      browser.findElement(By.id("token-input")).sendKeys("gallery-reader-token-1", Keys.ENTER);
      waitFor(() -> row("big/") != null);
      assertThat(browser.getCurrentUrl()).doesNotContain("token");
      // Asked once: a reload in the same tab uses the kept token.
      browser.navigate().refresh();
      waitFor(() -> row("big/") != null);
      assertThat(browser.findElement(By.id("token-dialog")).isDisplayed()).isFalse();
      // Outside the token's scope: a readable refusal, not a broken page.
      browser.get(url + "/browse?bucket=other");
      WebElement message = browser.findElement(By.id("message"));
      waitFor(message::isDisplayed);
      assertThat(message.getText()).startsWith("Not allowed");
    }
    AccessPolicy limited = AccessPolicy.parse("limited-reader-token-1 gallery");
    try (QueryApi api = QueryApi.start(ApiConfig.of("localhost", 0, stack.database()).withAccess(limited, 1, 1))) {
      browser.get("http://localhost:" + api.port() + "/healthz");
      browser.executeScript("sessionStorage.setItem('s3index.token', 'limited-reader-token-1')");
      browser.get("http://localhost:" + api.port() + "/browse?bucket=gallery");
      // One request a second: the page's first requests are refused, said so, retried, and it loads.
      WebElement message = browser.findElement(By.id("message"));
      waitFor(() -> message.isDisplayed() && message.getText().startsWith("Too many requests"));
      waitFor(() -> row("big/") != null);
    }
  }

  @Test
  void downloadsGoThroughTheS3EndpointWhenItHasAnOrigin() throws Exception {
    browser.get(base + "/browse?bucket=gallery&prefix=docs%2F&object=docs%2Freadme.txt");
    WebElement download = browser.findElement(By.id("panel-download"));
    waitFor(download::isDisplayed);
    String href = download.getAttribute("href");
    assertThat(href).isEqualTo(stack.s3ApiUrl() + "/gallery/docs/readme.txt");
    java.net.http.HttpResponse<String> got = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(URI.create(href)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(got.body()).isEqualTo("hello from the origin");
  }

  // ------------------------------------------------------------------ page helpers

  private static WebElement row(String key) {
    return (WebElement) browser.executeScript(
        "return [...document.querySelectorAll('#viewport .r')].find(r => !r.hidden && r.dataset.key === arguments[0]) || null", key);
  }

  private static String cell(WebElement row, String name) {
    return (String) browser.executeScript("return arguments[0].querySelector('.' + arguments[1]).textContent", row, name);
  }

  @SuppressWarnings("unchecked")
  private static List<String> visibleKeys() {
    return (List<String>) browser.executeScript("""
        const v = document.getElementById('viewport');
        return [...v.querySelectorAll('.r')].filter(r => !r.hidden && r.dataset.key !== undefined)
          .map(r => [Number(r.dataset.index), r.dataset.key]).sort((a, b) => a[0] - b[0])
          .filter(([i]) => i * 30 >= v.scrollTop - 1 && i * 30 < v.scrollTop + v.clientHeight).map(([, k]) => k)""");
  }

  @SuppressWarnings("unchecked")
  private static List<String> visibleCells(String name) {
    return (List<String>) browser.executeScript("""
        const v = document.getElementById('viewport');
        return [...v.querySelectorAll('.r')].filter(r => !r.hidden && r.dataset.kind === 'object'
          && Number(r.dataset.index) * 30 < v.scrollTop + v.clientHeight)
          .map(r => r.querySelector('.' + arguments[0]).textContent)""", name);
  }

  private static String selectedKey() {
    return (String) browser.executeScript(
        "const r = document.querySelector('#viewport .r.selected'); return r ? r.dataset.key : null");
  }

  private static void click(WebElement element) {
    element.click();
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) {
    new WebDriverWait(browser, Duration.ofSeconds(30), Duration.ofMillis(50))
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(d -> condition.getAsBoolean());
  }

  // ------------------------------------------------------------------ data helpers

  private static String sequencer() {
    return Sequencer.normalize(String.format(Locale.ROOT, "%016X", SEQUENCE.incrementAndGet()));
  }

  private static ObjectEvent event(String bucket, String key, long size, String type, Map<String, String> metadata) {
    String etag = Long.toHexString(key.hashCode() * 31L + size) + "0000000000000000";
    return new ObjectEvent(bucket, key, ObjectEvent.Kind.CREATED, size, etag.substring(0, 16), null,
        sequencer(), Instant.now(), "ObjectCreated:Put", type, metadata);
  }

  private static void publish(List<ObjectEvent> events) {
    try (EventPublisher publisher = new EventPublisher(stack.bootstrapServers(), stack.topic())) {
      publisher.publishAll(events, Duration.ofSeconds(60));
    }
  }

  /** What an upload to a store with bucket notifications does: the object, then its event. */
  private static void upload(String bucket, String key, byte[] body) {
    try (S3Client s3 = S3Client.builder().endpointOverride(stack.s3Endpoint()).region(Region.US_EAST_1)
        .forcePathStyle(true).credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY))).build()) {
      if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
        s3.createBucket(b -> b.bucket(bucket));
      }
      String etag = ETags.normalize(s3.putObject(b -> b.bucket(bucket).key(key).contentType("text/plain"),
          RequestBody.fromBytes(body)).eTag());
      publish(List.of(new ObjectEvent(bucket, key, ObjectEvent.Kind.CREATED, body.length, etag, null,
          sequencer(), Instant.now(), "ObjectCreated:Put", "text/plain", Map.of())));
    }
  }

  private static void awaitListed(String bucket, String prefix, int atLeast) {
    ApiClient api = new ApiClient(URI.create(base).getPort());
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .until(() -> api.get("/v1/buckets/" + bucket + "/objects?include_total=true&page_size=1&prefix="
            + ApiClient.q(prefix)).body().path("pagination").path("total_count").asLong() >= atLeast);
  }
}
