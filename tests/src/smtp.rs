//! A real SMTP server on loopback for the tests: the `mailin` protocol engine
//! behind a TCP listener, keeping every message it accepts.

use std::io::{self, BufRead, BufReader};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use mailin::response::OK;
use mailin::{Action, Handler, Response, SessionBuilder};

/// One accepted message.
#[derive(Clone, Debug)]
pub struct Received {
    /// Envelope recipients.
    pub to: Vec<String>,
    /// The message as sent (headers and body).
    pub data: Vec<u8>,
}

/// Messages accepted so far.
pub type Inbox = Arc<Mutex<Vec<Received>>>;

struct Recorder {
    inbox: Inbox,
    current: Option<Received>,
}

impl Handler for Recorder {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            to: to.to_vec(),
            data: Vec::new(),
        });
        OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(current) = &mut self.current {
            current.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(done) = self.current.take() {
            self.inbox.lock().unwrap().push(done);
        }
        OK
    }
}

fn serve(stream: TcpStream, peer: IpAddr, inbox: Inbox) -> io::Result<()> {
    let mut session = SessionBuilder::new("smtp.test").build(
        peer,
        Recorder {
            inbox,
            current: None,
        },
    );
    let mut writer = stream.try_clone()?;
    session.greeting().write_to(&mut writer)?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply => response.write_to(&mut writer)?,
            Action::NoReply => {}
            Action::Close | Action::UpgradeTls => {
                response.write_to(&mut writer)?;
                return Ok(());
            }
        }
    }
}

/// Starts an SMTP server on `listener` (threads; it runs until the process ends).
pub fn serve_on(listener: TcpListener) -> Inbox {
    let inbox: Inbox = Arc::default();
    let accept_inbox = Arc::clone(&inbox);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let Ok(peer) = stream.peer_addr() else {
                continue;
            };
            let inbox = Arc::clone(&accept_inbox);
            std::thread::spawn(move || serve(stream, peer.ip(), inbox));
        }
    });
    inbox
}

/// Starts an SMTP server on a free loopback port.
pub fn start() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (port, serve_on(listener))
}
