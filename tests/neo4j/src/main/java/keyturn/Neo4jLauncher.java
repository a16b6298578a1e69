package keyturn;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.neo4j.cli.AdminTool;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilder;
import org.neo4j.harness.Neo4jBuilders;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;
import org.neo4j.kernel.impl.security.User;
import org.neo4j.logging.NullLogProvider;
import org.neo4j.memory.EmptyMemoryTracker;
import org.neo4j.server.security.SecureHasher;
import org.neo4j.server.security.SystemGraphCredential;
import org.neo4j.server.security.auth.CommunitySecurityModule;
import org.neo4j.server.security.auth.FileUserRepository;

/**
 * Runs a throwaway Neo4j (the in-process test harness) with Bolt on 127.0.0.1.
 *
 * <p>Usage: {@code Neo4jLauncher [--port N] [--password P] [--page-cache SIZE] [--warm-up]
 * [--import DIR]}.
 * Port 0 (the default) picks a free port; a password turns authentication on for user {@code
 * neo4j}, without one there is no authentication; the page cache (e.g. {@code 2g}) defaults to
 * 16 MiB, enough for tests, far too little for a large graph; {@code --warm-up} runs some Cypher
 * before reporting ready; {@code --import DIR} first builds database {@code neo4j} from the
 * CSV files in DIR with Neo4j's offline importer (what {@code neo4j-admin database import full}
 * runs), the files {@code graph.neo4j._bulk} writes: {@code nodes-*.csv} and {@code
 * relationships-*.csv}. Data lives in a temporary directory that is deleted on exit.
 *
 * <p>Stdout carries exactly one line, {@code NEO4J READY bolt://127.0.0.1:PORT}, once Bolt
 * accepts connections; everything else goes to stderr. The process stops on SIGTERM/SIGINT and
 * when its stdin reaches end of file, so a parent that dies (even by SIGKILL) takes it along.
 */
public final class Neo4jLauncher {
    private static final String HOST = "127.0.0.1";
    private static final int MIN_PASSWORD_LENGTH = 8; // Neo4j 5 refuses shorter ones
    private static final String USAGE =
            "[--port N] [--password P] [--page-cache SIZE] [--warm-up] [--import DIR]";
    /** How graph.neo4j._bulk writes its files (its IMPORT_OPTIONS): keep the two alike. */
    private static final List<String> IMPORT_OPTIONS = List.of(
            "--array-delimiter=U+001F",
            "--bad-tolerance=0");

    private Neo4jLauncher() {}

    public static void main(String[] args) throws Exception {
        int port = 0;
        String password = null;
        boolean warmUp = false;
        long pageCache = 16L * 1024 * 1024;
        Path csv = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--warm-up")) {
                warmUp = true;
            } else if (arg.equals("--port") && i + 1 < args.length) {
                port = parsePort(args[++i]);
            } else if (arg.equals("--password") && i + 1 < args.length) {
                password = args[++i];
            } else if (arg.equals("--page-cache") && i + 1 < args.length) {
                pageCache = parseSize(args[++i]);
            } else if (arg.equals("--import") && i + 1 < args.length) {
                csv = Path.of(args[++i]).toAbsolutePath();
            } else {
                fail("unknown argument `" + arg + "`: use " + USAGE);
            }
        }
        if (password != null && password.length() < MIN_PASSWORD_LENGTH) {
            fail("the password must have at least " + MIN_PASSWORD_LENGTH + " characters");
        }

        // Neo4j and its libraries may print; keep stdout for the ready line alone.
        PrintStream ready = System.out;
        System.setOut(System.err);

        long started = System.nanoTime();
        Path dir = Files.createTempDirectory("keyturn-neo4j-");
        AtomicReference<Neo4j> running = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(running, dir), "neo4j-stop"));
        watchStdin(); // from the start: a parent that dies mid-start must not leave us behind

        Path data = dir.resolve("data");
        if (csv != null) {
            importCsv(dir, data, csv);
        }
        if (password != null) {
            writeInitialPassword(data, password);
        }
        Neo4j neo4j = builder(dir, data, port, password != null, pageCache).build();
        running.set(neo4j);
        if (warmUp) {
            warmUp(neo4j);
        }
        int boltPort = neo4j.boltURI().getPort();
        System.err.printf("neo4j started in %d ms%n", (System.nanoTime() - started) / 1_000_000);
        ready.println("NEO4J READY bolt://" + HOST + ":" + boltPort);
        ready.flush();

        Thread.currentThread().join(); // the shutdown hook ends the process
    }

    /**
     * Build database neo4j from the CSV files in {@code csv}, with a neo4j.conf of our own that
     * points the importer at the data directory the server then opens.
     */
    private static void importCsv(Path dir, Path data, Path csv) throws IOException {
        List<String> nodes = matching(csv, "nodes-*.csv");
        if (nodes.isEmpty()) {
            fail("`" + csv + "` holds no nodes-*.csv file: write the files with"
                    + " `keyturn demo --size N --export-csv DIR`");
        }
        // the database first: a file option takes every argument after it for a file
        List<String> args = new ArrayList<>(List.of("database", "import", "full", "neo4j"));
        args.addAll(IMPORT_OPTIONS);
        args.add("--report-file=" + dir.resolve("import.report"));
        if (Files.exists(csv.resolve("multiline-fields"))) { // a value holds a line break
            args.add("--multiline-fields=true");
        }
        nodes.forEach(file -> args.add("--nodes=" + file));
        matching(csv, "relationships-*.csv").forEach(file -> args.add("--relationships=" + file));
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("neo4j.conf"), "server.directories.data=" + data + "\n");

        long started = System.nanoTime();
        var context = new ExecutionContext(
                dir, conf, System.err, System.err, new DefaultFileSystemAbstraction());
        int status = AdminTool.execute(context, args.toArray(String[]::new));
        if (status != 0) {
            fail("importing `" + csv + "` failed with status " + status
                    + ": see the importer's output above, fix the files and start again");
        }
        System.err.printf("neo4j import took %d ms%n", (System.nanoTime() - started) / 1_000_000);
    }

    private static List<String> matching(Path dir, String glob) throws IOException {
        if (!Files.isDirectory(dir)) {
            fail("`" + dir + "` is not a directory: give the directory holding the CSV files");
        }
        List<String> files = new ArrayList<>();
        try (var found = Files.newDirectoryStream(dir, glob)) {
            found.forEach(file -> files.add(file.toString()));
        }
        files.sort(null);
        return files;
    }

    /** Compile a few typical statements, so a class-data-sharing training run sees Cypher. */
    private static void warmUp(Neo4j neo4j) {
        var db = neo4j.defaultDatabaseService();
        db.executeTransactionally(
                "CREATE CONSTRAINT warm IF NOT EXISTS FOR (n:W) REQUIRE n.key IS UNIQUE");
        db.executeTransactionally(
                "UNWIND range(1, 3) AS i MERGE (a:W {key: toString(i)}) SET a += {n: i}"
                        + " MERGE (b:W {key: 'root'}) MERGE (a)-[r:IN {key: ''}]->(b)");
        db.executeTransactionally(
                "MATCH (a:W {key: '1'}) OPTIONAL MATCH (a)-[:IN*1..]->(g)"
                        + " RETURN a, collect(g.key)");
        db.executeTransactionally("MATCH (n) DETACH DELETE n");
        db.executeTransactionally("DROP CONSTRAINT warm");
    }

    private static Neo4jBuilder builder(
            Path dir, Path data, int port, boolean auth, long pageCache) {
        return Neo4jBuilders.newInProcessBuilder(dir)
                .withConfig(GraphDatabaseSettings.data_directory, data)
                .withDisabledServer() // no HTTP/HTTPS: Keyturn speaks Bolt only
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                .withConfig(GraphDatabaseSettings.auth_enabled, auth)
                // Small and quick: no preallocated 250 MB transaction logs, nothing phoned home.
                .withConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .withConfig(GraphDatabaseSettings.preallocate_store_files, false)
                .withConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .withConfig(GraphDatabaseSettings.udc_enabled, false)
                // The harness logs every query with all its parameters: slow for large
                // batches, and the parameters may be secrets.
                .withConfig(GraphDatabaseSettings.log_queries, GraphDatabaseSettings.LogQueryLevel.OFF)
                // Stop in well under a second instead of waiting 5 s twice for Bolt threads.
                .withConfig(BoltConnectorInternalSettings.enable_local_connector, false)
                .withConfig(
                        BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ZERO)
                .withConfig(
                        BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ZERO);
    }

    /**
     * Give user neo4j its password before the first start, as `neo4j-admin dbms
     * set-initial-password` does: an `ALTER USER` after the start would cost seconds of Cypher
     * warm-up on the system database.
     */
    private static void writeInitialPassword(Path data, String password) throws Exception {
        Config config =
                Config.newBuilder().set(GraphDatabaseSettings.data_directory, data).build();
        FileUserRepository users = new FileUserRepository(
                new DefaultFileSystemAbstraction(),
                CommunitySecurityModule.getInitialUserRepositoryFile(config),
                NullLogProvider.getInstance(),
                EmptyMemoryTracker.INSTANCE);
        users.start();
        SystemGraphCredential credential = SystemGraphCredential.createCredentialForPassword(
                password.getBytes(StandardCharsets.UTF_8), new SecureHasher());
        users.create(new User("neo4j", null, credential, false, false));
        users.shutdown();
    }

    /** Exit when stdin closes; stdin from /dev/null (e.g. `run.sh &` in a script) says nothing. */
    private static void watchStdin() {
        try {
            if (Files.isSameFile(Path.of("/dev/stdin"), Path.of("/dev/null"))) {
                return;
            }
        } catch (IOException | RuntimeException e) {
            return; // no readable stdin to watch
        }
        Thread watcher = new Thread(() -> {
            byte[] buffer = new byte[256];
            InputStream in = System.in;
            try {
                while (in.read(buffer) != -1) {
                    // input is ignored; only its end matters
                }
            } catch (IOException e) {
                // a broken stdin means the same as a closed one
            }
            System.err.println("stdin closed: stopping neo4j");
            System.exit(0);
        }, "stdin-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void stop(AtomicReference<Neo4j> running, Path dir) {
        Neo4j neo4j = running.getAndSet(null);
        try {
            if (neo4j != null) {
                neo4j.close();
            }
        } catch (RuntimeException e) {
            System.err.println("neo4j did not shut down cleanly: " + e);
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) {
        try {
            if (!Files.exists(dir)) {
                return;
            }
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                        throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e)
                        throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("could not delete `" + dir + "`: " + e);
        }
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        fail("`" + value + "` is not a port: give 0-65535 (0 picks a free port)");
        return -1; // unreachable
    }

    /** A size in bytes, with an optional k, m or g suffix (powers of 1024). */
    private static long parseSize(String value) {
        String digits = value.toLowerCase(java.util.Locale.ROOT);
        int shift = 0;
        if (!digits.isEmpty() && "kmg".indexOf(digits.charAt(digits.length() - 1)) >= 0) {
            shift = 10 * (1 + "kmg".indexOf(digits.charAt(digits.length() - 1)));
            digits = digits.substring(0, digits.length() - 1);
        }
        try {
            long size = Long.parseLong(digits) << shift;
            if (size >= 1L << 20) {
                return size;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        fail("`" + value + "` is not a page cache size: give at least 1m, e.g. 512m or 2g");
        return -1; // unreachable
    }

    private static void fail(String message) {
        System.err.println("neo4j launcher: " + message);
        System.exit(2);
    }
}
