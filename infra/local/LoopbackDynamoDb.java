// Starts Amazon DynamoDB Local on 127.0.0.1 only.
//
// DynamoDB Local's own launcher binds every interface and has no host option,
// so this one wires the jar's request handler into a Jetty connector bound to
// the loopback address. It sends no telemetry.
//
// Usage: LoopbackDynamoDb <port> [<data directory>] [--exit-with-stdin]
//   port 0 picks a free port; the port taken is printed as "listening <host>:<port>".
//   Without a data directory the database lives in memory.
//   --exit-with-stdin stops the server when its standard input closes, so a
//   test process that dies takes its database with it.

import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBRequestHandler;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBServerHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public final class LoopbackDynamoDb {
    public static void main(String[] args) throws Exception {
        int port = -1;
        String dataDirectory = null;
        boolean exitWithStdin = false;
        for (String arg : args) {
            if (arg.equals("--exit-with-stdin")) {
                exitWithStdin = true;
            } else if (port < 0) {
                port = Integer.parseInt(arg);
            } else {
                dataDirectory = arg;
            }
        }
        if (port < 0) {
            System.err.println("usage: LoopbackDynamoDb <port> [<data directory>] [--exit-with-stdin]");
            System.exit(2);
        }
        boolean inMemory = dataDirectory == null;
        LocalDynamoDBRequestHandler requests =
            new LocalDynamoDBRequestHandler(0, inMemory, dataDirectory, true, false);
        LocalDynamoDBServerHandler handler = new LocalDynamoDBServerHandler(requests, null);

        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
        System.out.println("listening 127.0.0.1:" + connector.getLocalPort());
        System.out.flush();

        if (exitWithStdin) {
            Thread watcher = new Thread(() -> {
                try {
                    while (System.in.read() != -1) {
                        // Ignore input; only its end matters.
                    }
                } catch (java.io.IOException ignored) {
                    // A broken pipe is an end too.
                }
                Runtime.getRuntime().halt(0);
            });
            watcher.setDaemon(true);
            watcher.start();
        }
        server.join();
    }
}
