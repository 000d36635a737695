//! `tls-handshake DIR [COUNT]`: the client's side of COUNT full TLS
//! handshakes, timed, as the AWS SDK's HTTPS client makes one on a cold
//! start: rustls over aws-lc, post-quantum key exchange preferred, a server
//! chain of two RSA-2048 certificates checked against a root (as AWS's
//! endpoints send), no session to resume. Client and server talk through
//! memory in one thread, and only the client's steps are timed: building
//! its hello (the key shares), reading the server's flight (the key
//! exchange, the chain and the handshake's signature checked) and writing
//! its finish.
//!
//! DIR holds `root.pem`, `chain.pem` (leaf, then intermediate) and `key.pem`
//! (the leaf's key), for the name `dynamodb.localhost`: `bench/handshake.sh`
//! makes them with openssl. Prints the median, 10th and 90th percentile in
//! microseconds, and the key exchange group the handshakes used.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::Resumption;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ConnectionCommon, RootCertStore, ServerConfig, ServerConnection};

/// The name the leaf certificate is for.
const SERVER_NAME: &str = "dynamodb.localhost";
/// Flights a handshake takes at most before the bench gives up on it.
const MAX_FLIGHTS: usize = 8;

type Failure = Box<dyn Error>;

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: tls-handshake DIR [COUNT] (DIR holds root.pem, chain.pem and key.pem)")?;
    let count: usize = args.next().map(|c| c.parse()).transpose()?.unwrap_or(300);

    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(format!("{dir}/root.pem"))?)?;
    let mut client = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.resumption = Resumption::disabled();
    let client = Arc::new(client);
    let chain = CertificateDer::pem_file_iter(format!("{dir}/chain.pem"))?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(format!("{dir}/key.pem"))?;
    let mut server = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    server.send_tls13_tickets = 0;
    let server = Arc::new(server);
    let name = ServerName::try_from(SERVER_NAME)?;

    let mut times = Vec::with_capacity(count);
    let mut group = String::new();
    for _ in 0..count.max(1) {
        let (took, used) = handshake(&client, &server, &name)?;
        times.push(took);
        group = used;
    }
    times.sort();
    let at = |share: usize| times[(times.len() - 1) * share / 100].as_secs_f64() * 1e6;
    println!(
        "client handshake: median {:.1} us, p10 {:.1} us, p90 {:.1} us over {} ({group})",
        at(50),
        at(10),
        at(90),
        times.len()
    );
    Ok(())
}

/// One full handshake: the client's time, and the key exchange group used.
fn handshake(
    client_config: &Arc<ClientConfig>,
    server_config: &Arc<ServerConfig>,
    name: &ServerName<'static>,
) -> Result<(Duration, String), Failure> {
    let started = Instant::now();
    let mut client = ClientConnection::new(client_config.clone(), name.clone())?;
    let mut client_time = started.elapsed();
    let mut server = ServerConnection::new(server_config.clone())?;
    for _ in 0..MAX_FLIGHTS {
        if !client.is_handshaking() && !server.is_handshaking() {
            let group = client
                .negotiated_key_exchange_group()
                .map(|g| format!("{:?}", g.name()))
                .unwrap_or_default();
            return Ok((client_time, group));
        }
        let started = Instant::now();
        let flight = written(&mut *client)?;
        client_time += started.elapsed();
        read(&mut *server, &flight)?;
        let answer = written(&mut *server)?;
        let started = Instant::now();
        read(&mut *client, &answer)?;
        client_time += started.elapsed();
    }
    Err("the handshake did not finish".into())
}

/// Everything `side` has to send.
fn written<D>(side: &mut ConnectionCommon<D>) -> Result<Vec<u8>, Failure> {
    let mut wire = Vec::new();
    while side.wants_write() {
        side.write_tls(&mut wire)?;
    }
    Ok(wire)
}

/// `side` reads `wire` and acts on it.
fn read<D>(side: &mut ConnectionCommon<D>, mut wire: &[u8]) -> Result<(), Failure> {
    while !wire.is_empty() {
        side.read_tls(&mut wire)?;
        side.process_new_packets()?;
    }
    Ok(())
}
