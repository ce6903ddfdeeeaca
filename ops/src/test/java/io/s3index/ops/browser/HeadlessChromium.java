package io.s3index.ops.browser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The system's headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) under
 * WebDriver. Both executables are named explicitly, so Selenium never looks for or downloads a
 * browser. Without them the browser tests are skipped, unless {@code S3INDEX_REQUIRE_BROWSER=true}
 * (as CI runs them, after installing both), where their absence fails the tests.
 */
public final class HeadlessChromium {

  private static final Path BROWSER = Path.of(System.getenv().getOrDefault("S3INDEX_CHROMIUM", "/usr/bin/chromium"));
  private static final Path DRIVER = Path.of(System.getenv().getOrDefault("S3INDEX_CHROMEDRIVER", "/usr/bin/chromedriver"));

  private HeadlessChromium() {}

  /** Starts a browser with a window of the given size, or skips the calling test when none is installed. */
  public static ChromeDriver start(int width, int height) {
    boolean present = Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER);
    String missing = "no " + BROWSER + " and " + DRIVER + " (apt-get install chromium chromium-driver)";
    if (!present && "true".equals(System.getenv("S3INDEX_REQUIRE_BROWSER"))) {
      throw new IllegalStateException("browser tests required but " + missing);
    }
    Assumptions.assumeTrue(present, "browser tests skipped: " + missing);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=" + width + "," + height, "--lang=en-US", "--no-first-run",
        "--disable-background-networking", "--disable-extensions");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort()
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    return driver;
  }

  /** Saves what the browser shows, for a failed test, and returns where. */
  public static Path screenshot(ChromeDriver driver, Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    return file;
  }
}
