package dev.pocketrag.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.retrieval.Notebook;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page in real headless Chromium (Debian's chromium + chromedriver, driven by
 * Selenium): load it, search, ask, watch the answer stream in, follow its citation link; and
 * the same behind an API key. Saves target/web-chat.png. Skipped when chromium or chromedriver
 * is not installed.
 */
class ChatPageBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final String REPLY = "Your hotel in Kyoto is the Gion Ryokan, booking reference KY-48213 [1]. "
            + "Check-in is from 15:00 on 3 April, for two nights with breakfast [1].";

    @Test
    void search_ask_and_follow_the_citation_of_a_streamed_answer(@TempDir Path dir, @TempDir Path profile) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver); "
                        + ".ci/run installs them");
        ScriptedChatModel model = new ScriptedChatModel("scripted-demo-model", 4096, REPLY);
        model.pieceChars = 2;
        model.pieceDelayMillis = 20; // about 2.5 s of streaming: long enough to watch it arrive
        ChromeOptions options = options(profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        try (Notebook nb = TestSupport.notebook(dir, model);
             PocketragServer server = PocketragServer.builder(nb).port(0).start()) {
            WebDriver driver = new ChromeDriver(service, options);
            try {
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
                driver.get(server.uri().toString());
                assertEquals("pocketrag", driver.getTitle());
                wait.until(d -> d.findElement(By.id("status")).getText().startsWith("model: scripted-demo-model"));

                // search
                driver.findElement(By.id("search-input")).sendKeys("dentist appointment");
                driver.findElement(By.id("search-button")).click();
                WebElement firstHit = wait.until(ExpectedConditions.visibilityOfElementLocated(
                        By.cssSelector("#search-results li.hit .hit-title")));
                assertEquals("Dentist", firstHit.getText());
                assertTrue(driver.findElement(By.cssSelector("#search-results li.hit .excerpt")).getText()
                        .contains("Dr. Sousa"));

                // ask, and watch the answer arrive piece by piece
                driver.findElement(By.id("ask-input")).sendKeys("What is the booking reference for the hotel in Kyoto?");
                driver.findElement(By.id("ask-button")).click();
                WebElement answer = wait.until(ExpectedConditions.presenceOfElementLocated(
                        By.cssSelector(".message.assistant")));
                List<String> seen = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (answer.getAttribute("class").contains("streaming") && System.nanoTime() < deadline) {
                    String t = answer.findElement(By.cssSelector(".text")).getText();
                    if (!t.isEmpty() && (seen.isEmpty() || !seen.getLast().equals(t))) {
                        seen.add(t);
                    }
                    Thread.sleep(15);
                }
                wait.until(d -> answer.getAttribute("class").contains("done"));
                String finalText = answer.findElement(By.cssSelector(".text")).getText();
                assertEquals(REPLY, finalText);
                List<String> partial = seen.stream().filter(t -> !t.equals(REPLY)).toList();
                System.out.printf("browser saw %d partial answers before the whole one%n", partial.size());
                assertTrue(partial.size() >= 3, "the answer appeared piece by piece: " + seen);
                for (String p : partial) {
                    assertTrue(REPLY.startsWith(p), "each partial answer is a prefix of the answer: " + p);
                }

                // the citation is a link to its passage
                List<WebElement> cites = answer.findElements(By.cssSelector(".text a.cite"));
                assertEquals(2, cites.size());
                WebElement cite = cites.getFirst();
                assertEquals("[1]", cite.getText());
                assertEquals("Kyoto trip", cite.getAttribute("title"));
                assertEquals("Kyoto trip", answer.findElement(By.cssSelector(".sources li .source-link")).getText());
                cite.click();
                WebElement panel = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("source-panel")));
                assertEquals("Kyoto trip", panel.findElement(By.id("source-title")).getText());
                assertTrue(panel.findElement(By.id("source-passage")).getText().contains("KY-48213"));
                panel.findElement(By.id("source-open")).click();
                WebElement noteText = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("source-note")));
                assertTrue(noteText.getText().contains("breakfast included"), noteText.getText());

                Path shot = Path.of("target", "web-chat.png");
                Files.createDirectories(shot.getParent());
                File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
                Files.copy(png.toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
                assertTrue(Files.size(shot) > 10_000, "a real screenshot");
                System.out.println("screenshot: " + shot.toAbsolutePath());
            } finally {
                driver.quit();
                service.stop();
            }
        }
    }

    @Test
    void a_search_hit_of_a_document_says_its_page_and_the_note_opens_at_that_page(@TempDir Path dir,
            @TempDir Path profile) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver); "
                        + ".ci/run installs them");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        try (Notebook nb = TestSupport.notebook(dir, new ScriptedChatModel("scripted", 4096, REPLY));
             PocketragServer server = PocketragServer.builder(nb).port(0).start()) {
            // a paged note, as a PDF's text is stored: pages separated by form feeds
            nb.add(dev.pocketrag.index.Note.of("boiler", "Boiler manual",
                    "# Safety\nKeep the vents clear.\n\f# Servicing\nThe pressure gauge should read 1.5 bar when cold.\n\f"));
            WebDriver driver = new ChromeDriver(service, options(profile));
            try {
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
                driver.get(server.uri().toString());
                driver.findElement(By.id("search-input")).sendKeys("boiler pressure gauge");
                driver.findElement(By.id("search-button")).click();
                WebElement hit = wait.until(ExpectedConditions.visibilityOfElementLocated(
                        By.cssSelector("#search-results li.hit")));
                assertTrue(hit.getText().startsWith("Boiler manual · p. 2, Servicing"), hit.getText());
                hit.findElement(By.cssSelector(".hit-title")).click();
                WebElement panel = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("source-panel")));
                assertTrue(panel.findElement(By.id("source-meta")).getText().endsWith("· p. 2, Servicing"),
                        panel.findElement(By.id("source-meta")).getText());
                panel.findElement(By.id("source-open")).click();
                WebElement note = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("source-note")));
                List<String> marks = note.findElements(By.cssSelector(".page-mark")).stream()
                        .map(e -> e.getText().strip()).toList();
                assertEquals(List.of("— page 1 —", "— page 2 —"), marks);
            } finally {
                driver.quit();
                service.stop();
            }
        }
    }

    @Test
    void with_an_api_key_the_browser_asks_once_and_the_page_works(@TempDir Path dir, @TempDir Path profile) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver); "
                        + ".ci/run installs them");
        String key = "page-test-key-0123456789";
        ScriptedChatModel model = new ScriptedChatModel("scripted-demo-model", 4096, REPLY);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        // all interfaces, so the key is required; the browser still talks to 127.0.0.1
        try (Notebook nb = TestSupport.notebook(dir, model);
             PocketragServer server = PocketragServer.builder(nb).host("0.0.0.0").port(0).apiKey(key).start()) {
            WebDriver driver = new ChromeDriver(service, options(profile));
            try {
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
                driver.get("http://127.0.0.1:" + server.port() + "/");
                assertFalse(driver.getPageSource().contains("id=\"search-input\""), "no page without the key");
                // what a user types into the browser's sign-in prompt (any name, the key as password)
                driver.get("http://me:" + key + "@127.0.0.1:" + server.port() + "/");
                try {
                    wait.until(d -> d.findElement(By.id("status")).getText().startsWith("model: scripted-demo-model"));
                } catch (RuntimeException e) {
                    throw new AssertionError("the page's status line: " + driver.findElement(By.id("status")).getText(), e);
                }
                driver.findElement(By.id("ask-input")).sendKeys("What is the booking reference for the hotel in Kyoto?");
                driver.findElement(By.id("ask-button")).click();
                WebElement answer = wait.until(ExpectedConditions.presenceOfElementLocated(
                        By.cssSelector(".message.assistant.done")));
                assertEquals(REPLY, answer.findElement(By.cssSelector(".text")).getText());
                assertEquals(2, answer.findElements(By.cssSelector(".text a.cite")).size());
            } finally {
                driver.quit();
                service.stop();
            }
        }
    }

    @Test
    void the_page_keeps_its_thread_shows_what_a_follow_up_searched_for_and_starts_a_new_thread(@TempDir Path dir,
            @TempDir Path profile) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver); "
                        + ".ci/run installs them");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        // no chat model: extractive answers, follow-ups rewritten by the rules (deterministic)
        try (Notebook nb = Notebook.builder(dir).embedder(TestSupport.embedder()).build();
             PocketragServer server = PocketragServer.builder(nb).port(0).start()) {
            nb.addAll(TestSupport.NOTES);
            nb.addAll(List.of(ServerConversationTest.ATLAS, ServerConversationTest.CHECKLIST));
            WebDriver driver = new ChromeDriver(service, options(profile));
            try {
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
                driver.get(server.uri().toString());
                wait.until(d -> d.findElement(By.id("status")).getText().startsWith("no chat model"));
                String thread = (String) ((JavascriptExecutor) driver).executeScript(
                        "return sessionStorage.getItem('pocketrag.thread')");
                assertTrue(thread != null && thread.matches("web-[0-9]{8}-[0-9a-f]{12}"), thread);
                assertEquals("thread " + thread, driver.findElement(By.id("thread-info")).getText());

                List<WebElement> answers = askAndWait(driver, wait, "When is the Atlas cut-over?", 1);
                assertTrue(answers.get(0).findElements(By.cssSelector(".searched-for")).isEmpty(),
                        "a first question is searched for as asked");
                answers = askAndWait(driver, wait, "Who owns the rollback?", 2);
                WebElement followUp = answers.get(1);
                String searched = followUp.findElement(By.cssSelector(".searched-for")).getText();
                assertTrue(searched.startsWith("searched for: Who owns the rollback?")
                        && searched.toLowerCase(java.util.Locale.ROOT).contains("atlas"), searched);
                assertEquals("Atlas cut-over", followUp.findElement(By.cssSelector(".sources li .source-link")).getText());
                // text from the question is inserted as text, never as HTML
                answers = askAndWait(driver, wait, "And the <b>go/no-go</b> call?", 3);
                WebElement third = answers.get(2);
                assertTrue(third.findElement(By.cssSelector(".searched-for")).getText()
                        .startsWith("searched for: And the <b>go/no-go</b> call?"));
                assertTrue(third.findElements(By.cssSelector(".searched-for b")).isEmpty(), "no markup from text");
                assertEquals(3, nb.conversation(thread).history().size(), "the page's thread is stored");

                // a reload keeps the thread and shows its turns
                driver.navigate().refresh();
                wait.until(d -> d.findElements(By.cssSelector(".message.assistant.done")).size() == 3);
                assertEquals(thread, ((JavascriptExecutor) driver).executeScript(
                        "return sessionStorage.getItem('pocketrag.thread')"));
                assertEquals(searched, driver.findElements(By.cssSelector(".message.assistant .searched-for"))
                        .get(0).getText());

                // a new thread carries nothing
                driver.findElement(By.id("new-thread")).click();
                assertTrue(driver.findElements(By.cssSelector(".message")).isEmpty());
                String next = (String) ((JavascriptExecutor) driver).executeScript(
                        "return sessionStorage.getItem('pocketrag.thread')");
                assertFalse(thread.equals(next), next);
                assertEquals("thread " + next, driver.findElement(By.id("thread-info")).getText());
                answers = askAndWait(driver, wait, "Who owns the rollback?", 1);
                assertTrue(answers.get(0).findElements(By.cssSelector(".searched-for")).isEmpty(),
                        "searched for as asked in a new thread");
                assertEquals(3, nb.conversation(thread).history().size(), "the old thread is left as it was");
            } finally {
                driver.quit();
                service.stop();
            }
        }
    }

    /** Asks {@code question} on the page and returns the answers once {@code n} are done. */
    private static List<WebElement> askAndWait(WebDriver driver, WebDriverWait wait, String question, int n) {
        driver.findElement(By.id("ask-input")).sendKeys(question);
        driver.findElement(By.id("ask-button")).click();
        wait.until(d -> d.findElements(By.cssSelector(".message.assistant.done")).size() == n);
        return driver.findElements(By.cssSelector(".message.assistant"));
    }

    static ChromeOptions options(Path profile) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-default-apps", "--disable-extensions", "--window-size=1280,820",
                "--user-data-dir=" + profile.toAbsolutePath());
        return options;
    }
}
