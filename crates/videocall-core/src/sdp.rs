//! SDP (RFC 8866) for interoperating with players and senders outside videocall: writes a
//! description of the streams we send (for ffplay, VLC) and reads a peer's description (as
//! written by `ffmpeg -sdp_file` or by us) into the ports and RTP caps we receive with.
//!
//! The SDP text itself is written and parsed by GStreamer's SDP library; this module only picks
//! what goes in and checks what comes out. SDES keys (RFC 4568 `a=crypto`, `--sdp-crypto`) are
//! written and read here ([`SdesCrypto`]).

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use gst_sdp::{SDPMedia, SDPMediaRef, SDPMessage};

use crate::security::{SrtpKey, SrtpSuite};

/// One stream we send: where the receiver listens and what our payloader produces.
#[derive(Debug, Clone)]
pub struct OutgoingMedia {
    /// The receiver's RTP port; RTCP goes to `port + 1`.
    pub port: u16,
    /// The payloader's src caps (`application/x-rtp`, with `payload`, `clock-rate`,
    /// `encoding-name` and the codec's fmtp fields).
    pub caps: gst::Caps,
    /// The SDES key we encrypt this stream with (`--sdp-crypto`): written as `a=crypto`, and
    /// the profile becomes RTP/SAVP (RTP/SAVPF with feedback).
    pub crypto: Option<SdesCrypto>,
}

/// Everything [`outgoing_sdp`] needs to describe what we send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The `s=` line.
    pub session_name: String,
    /// Our address, for the `o=` line.
    pub origin_ip: IpAddr,
    /// The receiver's address, for the `c=` line: where our RTP goes.
    pub dest_ip: IpAddr,
    pub video: Option<OutgoingMedia>,
    pub audio: Option<OutgoingMedia>,
    /// Announce RTP/AVPF and the video's RTCP feedback (NACK, PLI, FIR).
    pub feedback: bool,
}

/// One stream the peer sends us, as read from its SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMedia {
    /// Where we receive RTP.
    pub port: u16,
    /// Where we receive RTCP: `a=rtcp` or `port + 1`.
    pub rtcp_port: u16,
    /// The payload type we chose from the `m=` line.
    pub pt: u8,
    /// `application/x-rtp` caps for rtpbin's `request-pt-map`, with the fmtp fields as the
    /// GStreamer depayloaders expect them.
    pub caps: String,
    /// The SDES key the peer encrypts this stream with: the first `a=crypto` of the section
    /// that we take.
    pub crypto: Option<SdesCrypto>,
}

/// What the peer's SDP says about the streams it sends us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerSdp {
    /// The `c=` address: where the peer sends to, i.e. ours.
    pub connection: Option<IpAddr>,
    /// The `o=` address: the peer's own, when it is an IP address.
    pub origin: Option<IpAddr>,
    pub video: Option<IncomingMedia>,
    pub audio: Option<IncomingMedia>,
}

/// The payloader caps fields that describe the RTP stream rather than the codec: GStreamer's
/// SDP writer would otherwise turn them into fmtp parameters or attributes.
const NOT_FMTP_PREFIXES: &[&str] = &[
    "ssrc",
    "timestamp-offset",
    "seqnum-offset",
    "rtcp-fb-",
    "extmap-",
    "srtp-",
    "srtcp-",
    "x-gst-",
    "a-",
];

/// Attributes worth carrying from the payloader caps (`a-<name>` fields) into the SDP.
const KEPT_ATTRIBUTES: &[&str] = &["a-framerate"];

/// Writes the SDP of what we send, for ffplay or VLC on the receiving machine.
pub fn outgoing_sdp(out: &Outgoing) -> Result<String, String> {
    gst::init().map_err(|e| format!("GStreamer failed to start: {e}"))?;
    if out.video.is_none() && out.audio.is_none() {
        return Err("nothing to describe in the SDP: no video and no audio is sent".into());
    }
    let mut msg = SDPMessage::new();
    msg.set_version("0");
    let session_id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() + NTP_UNIX_OFFSET)
        .unwrap_or(NTP_UNIX_OFFSET)
        .to_string();
    let origin = out.origin_ip.to_string();
    msg.set_origin(
        "-",
        &session_id,
        &session_id,
        "IN",
        addr_type(out.origin_ip),
        &origin,
    );
    msg.set_session_name(&session_name(&out.session_name));
    let ttl = match out.dest_ip {
        IpAddr::V4(ip) if ip.is_multicast() => MULTICAST_TTL,
        _ => 0,
    };
    msg.set_connection(
        "IN",
        addr_type(out.dest_ip),
        &out.dest_ip.to_string(),
        ttl,
        0,
    );
    // No `add_time`: GStreamer then writes `t=0 0` (a permanent session) itself, while
    // `add_time("0", "0", &[])` makes `as_text` crash (gstreamer-sdp 0.25.3, GStreamer 1.22).
    for (kind, media) in [("video", &out.video), ("audio", &out.audio)] {
        if let Some(media) = media {
            let feedback = out.feedback && kind == "video";
            let proto = match (media.crypto.is_some(), out.feedback) {
                (false, false) => "RTP/AVP",
                (false, true) => "RTP/AVPF",
                (true, false) => "RTP/SAVP",
                (true, true) => "RTP/SAVPF",
            };
            msg.add_media(outgoing_media(kind, media, proto, feedback)?);
        }
    }
    msg.as_text()
        .map_err(|e| format!("could not write the SDP: {e}"))
}

/// Seconds from 1900 (NTP) to 1970 (Unix): RFC 8866 suggests an NTP timestamp as session id.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
/// RFC 8866 requires a TTL on IPv4 multicast `c=` lines.
const MULTICAST_TTL: u32 = 16;

fn addr_type(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    }
}

/// `s=` must be one non-empty line.
fn session_name(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let name = name.trim();
    if name.is_empty() {
        "-".into()
    } else {
        name.into()
    }
}

fn outgoing_media(
    kind: &str,
    media: &OutgoingMedia,
    proto: &str,
    feedback: bool,
) -> Result<SDPMedia, String> {
    let s = media
        .caps
        .structure(0)
        .ok_or_else(|| format!("the {kind} caps for the SDP are empty"))?;
    let pt = s
        .get::<i32>("payload")
        .ok()
        .filter(|pt| (0..=127).contains(pt))
        .ok_or_else(|| format!("the {kind} caps for the SDP have no RTP payload type: {s}"))?;
    if s.get::<i32>("clock-rate").is_err() || s.get::<&str>("encoding-name").is_err() {
        return Err(format!(
            "the {kind} caps for the SDP lack clock-rate or encoding-name: {s}"
        ));
    }
    match s.get::<&str>("media") {
        Ok(m) if m != kind => {
            return Err(format!("the {kind} caps for the SDP describe {m}: {s}"));
        }
        _ => {}
    }
    if media.port == 0 || media.port == u16::MAX {
        return Err(format!(
            "the {kind} port {} cannot carry RTP with RTCP on the next port",
            media.port
        ));
    }

    let mut clean = gst::Structure::builder("application/x-rtp")
        .field("media", kind)
        .build();
    for (name, value) in s.iter() {
        let name = name.as_str();
        let dropped = NOT_FMTP_PREFIXES.iter().any(|p| name.starts_with(p))
            && !KEPT_ATTRIBUTES.contains(&name);
        // rtph264pay's `profile` is GStreamer's own field, not the fmtp `profile-level-id`.
        let internal = name == "profile" && s.get::<&str>("encoding-name") == Ok("H264");
        if !dropped && !internal && name != "media" {
            clean.set_value(name, value.clone());
        }
    }
    let clean = gst::Caps::from(clean);

    let mut m = SDPMedia::new();
    m.set_media_from_caps(&clean)
        .map_err(|e| format!("could not describe the {kind} caps in SDP: {e}"))?;
    m.set_port_info(u32::from(media.port), 1);
    m.set_proto(proto);
    if feedback {
        for fb in ["nack", "nack pli", "ccm fir"] {
            m.add_attribute("rtcp-fb", Some(&format!("{pt} {fb}")));
        }
    }
    m.add_attribute("rtcp", Some(&(media.port + 1).to_string()));
    if let Some(crypto) = &media.crypto {
        m.add_attribute("crypto", Some(&crypto.attribute()));
    }
    m.add_attribute("sendonly", None);
    Ok(m)
}

/// An SDES `a=crypto` attribute (RFC 4568 §9.1): the SRTP master key and salt a stream is
/// encrypted with, in the clear. Never printed (the key's `Debug` is redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesCrypto {
    pub tag: u32,
    pub suite: SrtpSuite,
    /// Master key || master salt, [`SrtpSuite::key_salt_len`] bytes.
    pub key: SrtpKey,
}

/// Reads base64 with or without its padding (RFC 4568 asks for padding; not every writer pads).
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl SdesCrypto {
    /// The attribute's value: `<tag> <suite> inline:<base64 key||salt>` (no lifetime, no MKI).
    pub fn attribute(&self) -> String {
        format!(
            "{} {} inline:{}",
            self.tag,
            self.suite.sdes_name(),
            STANDARD.encode(self.key.bytes())
        )
    }

    /// Parses an attribute's value, `<tag> <suite> inline:<base64 key||salt>[|lifetime][|mki]
    /// [session params]`: our two suites only, one key without MKI, a lifetime (ignored: the
    /// key is used for the whole call) and no session parameters but `WSH` and `KDR=0`. The
    /// error is a fragment of one line.
    pub fn parse(value: &str) -> Result<SdesCrypto, String> {
        let mut fields = value.split_whitespace();
        let (Some(tag), Some(suite), Some(params)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err("a=crypto is not <tag> <suite> inline:<key>".into());
        };
        let tag = tag
            .parse::<u32>()
            .ok()
            .filter(|_| tag.len() <= 9)
            .ok_or_else(|| format!("a=crypto tag '{tag}' is not a number"))?;
        let suite = SrtpSuite::from_sdes_name(suite).ok_or_else(|| {
            format!(
                "a=crypto suite {suite}: videocall takes {} or {} only",
                SrtpSuite::AesCm128HmacSha1_80.sdes_name(),
                SrtpSuite::AesGcm128.sdes_name()
            )
        })?;
        if params.contains(';') {
            return Err("a=crypto with several keys: videocall takes one".into());
        }
        let inline = params
            .strip_prefix("inline:")
            .ok_or_else(|| "a=crypto key is not inline:<key>".to_string())?;
        let mut parts = inline.split('|');
        let encoded = parts.next().unwrap_or_default();
        for part in parts {
            if part.contains(':') {
                return Err("a=crypto key with an MKI: videocall takes keys without one".into());
            }
            let lifetime_ok = match part.strip_prefix("2^") {
                Some(power) => power.parse::<u8>().is_ok(),
                None => part.parse::<u64>().is_ok(),
            };
            if !lifetime_ok {
                return Err(format!("a=crypto key lifetime '{part}' is not a number"));
            }
        }
        if let Some(param) = fields.find(|p| !p.starts_with("WSH=") && *p != "KDR=0") {
            return Err(format!(
                "a=crypto session parameter {param}: videocall takes none"
            ));
        }
        let bytes = LENIENT_BASE64
            .decode(encoded)
            .map_err(|_| "a=crypto key is not base64".to_string())?;
        if bytes.len() != suite.key_salt_len() {
            return Err(format!(
                "a=crypto {} key is {} bytes: it must be {} (key and salt)",
                suite.sdes_name(),
                bytes.len(),
                suite.key_salt_len()
            ));
        }
        Ok(SdesCrypto {
            tag,
            suite,
            key: SrtpKey::new(bytes),
        })
    }
}

/// Reads the peer's SDP: the ports it sends to and the caps to depayload its video (H.264) and
/// audio (AAC, RFC 3640 or RFC 6416). Anything else is refused with one line naming the offer.
pub fn parse_peer_sdp(text: &str) -> Result<PeerSdp, String> {
    gst::init().map_err(|e| format!("GStreamer failed to start: {e}"))?;
    if text.trim().is_empty() {
        return Err("the peer's SDP is empty".into());
    }
    let msg = SDPMessage::parse_buffer(text.as_bytes())
        .map_err(|_| "the peer's SDP could not be parsed".to_string())?;
    if msg.version() != Some("0") {
        return Err("the peer's text is not an SDP: it has no v=0 line".into());
    }
    let session_connection = msg
        .connection()
        .and_then(|c| c.address())
        .map(parse_connection_address)
        .transpose()?;
    let origin = msg
        .origin()
        .and_then(|o| o.addr())
        .and_then(|a| a.parse::<IpAddr>().ok());

    let mut chosen: [Option<(IncomingMedia, Option<IpAddr>)>; 2] = [None, None];
    let mut refused: [Option<String>; 2] = [None, None];
    for media in msg.medias() {
        let slot = match media.media() {
            Some("video") => 0,
            Some("audio") => 1,
            _ => continue,
        };
        if chosen[slot].is_some() || media.port() == 0 {
            continue;
        }
        match incoming_media(media) {
            Ok(incoming) => {
                let connection = media
                    .connections()
                    .next()
                    .and_then(|c| c.address())
                    .map(parse_connection_address)
                    .transpose()?;
                chosen[slot] = Some((incoming, connection));
            }
            Err(e) => {
                refused[slot].get_or_insert(e);
            }
        }
    }
    for slot in 0..2 {
        if chosen[slot].is_none()
            && let Some(e) = refused[slot].take()
        {
            return Err(e);
        }
    }
    let [video, audio] = chosen;
    if video.is_none() && audio.is_none() {
        return Err("the peer's SDP offers no video or audio stream".into());
    }
    let connection = session_connection.or_else(|| {
        [&video, &audio]
            .into_iter()
            .find_map(|m| m.as_ref().and_then(|(_, c)| *c))
    });
    Ok(PeerSdp {
        connection,
        origin,
        video: video.map(|(m, _)| m),
        audio: audio.map(|(m, _)| m),
    })
}

/// A `c=` address, without the multicast `/ttl` and `/count` suffixes.
fn parse_connection_address(address: &str) -> Result<IpAddr, String> {
    let ip = address.split('/').next().unwrap_or_default();
    ip.parse().map_err(|_| {
        format!("the peer's SDP has c= address '{address}', which is not an IP address")
    })
}

/// The first payload type of an enabled `m=` line that we can receive, or a one-line refusal.
fn incoming_media(media: &SDPMediaRef) -> Result<IncomingMedia, String> {
    let kind = media.media().unwrap_or_default();
    let port = u16::try_from(media.port())
        .map_err(|_| format!("the peer's SDP has {kind} port {}", media.port()))?;
    let proto = media.proto().unwrap_or_default();
    if !["RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF"].contains(&proto) {
        return Err(format!(
            "the peer's SDP offers {kind} over {proto}: videocall receives RTP/AVP, RTP/AVPF, \
             or RTP/SAVP and RTP/SAVPF keyed by a=crypto, only"
        ));
    }
    // ffmpeg writes RTP/AVP with its a=crypto: read the keys under any of the four.
    let crypto = incoming_crypto(media)?;
    if crypto.is_none() && proto.contains("SAVP") {
        return Err(format!(
            "the peer's SDP offers {kind} over {proto} without a=crypto: videocall takes SRTP \
             keys from a=crypto only"
        ));
    }
    let mut offered = Vec::new();
    for format in media.formats() {
        let Some(pt) = format.parse::<u8>().ok().filter(|pt| *pt <= 127) else {
            offered.push(format!("payload {format}"));
            continue;
        };
        let Some(caps) = media.caps_from_media(i32::from(pt)) else {
            offered.push(format!("payload {pt} without a=rtpmap"));
            continue;
        };
        match receivable_caps(kind, media, caps) {
            Ok(caps) => {
                return Ok(IncomingMedia {
                    port,
                    rtcp_port: rtcp_port(media, port)?,
                    pt,
                    caps: caps.to_string(),
                    crypto,
                });
            }
            Err(what) => offered.push(format!("{what} (payload {pt})")),
        }
    }
    let wanted = match kind {
        "video" => "H264 only",
        _ => "AAC (MPEG4-GENERIC in AAC-hbr/AAC-lbr mode, or MP4A-LATM) only",
    };
    let offered = if offered.is_empty() {
        "nothing".into()
    } else {
        offered.join(", ")
    };
    Err(format!(
        "the peer's SDP offers {kind} as {offered}: videocall receives {wanted}"
    ))
}

/// The first `a=crypto` of a media section that we can use, none without any, or a one-line
/// refusal naming the first one when none is usable.
fn incoming_crypto(media: &SDPMediaRef) -> Result<Option<SdesCrypto>, String> {
    let kind = media.media().unwrap_or_default();
    let mut refusal = None;
    for attribute in media.attributes() {
        if attribute.key() != "crypto" {
            continue;
        }
        match SdesCrypto::parse(attribute.value().unwrap_or_default()) {
            Ok(crypto) => return Ok(Some(crypto)),
            Err(e) => {
                refusal.get_or_insert(e);
            }
        }
    }
    match refusal {
        Some(e) => Err(format!("the peer's SDP, {kind}: {e}")),
        None => Ok(None),
    }
}

/// Completes the caps from `caps_from_media` for rtpbin, or says what the payload type is when
/// we cannot depayload it.
fn receivable_caps(
    kind: &str,
    media: &SDPMediaRef,
    mut caps: gst::Caps,
) -> Result<gst::Caps, String> {
    {
        let caps = caps.make_mut();
        // Media-level attributes such as a=framerate become `a-*` fields.
        let _ = media.attributes_to_caps(caps);
    }
    let caps_ref = caps.make_mut();
    let s = caps_ref
        .structure_mut(0)
        .ok_or_else(|| "empty caps".to_string())?;
    s.set_name("application/x-rtp");
    // Only attributes that describe the media itself stay; transport and direction do not
    // belong in the caps.
    let attributes: Vec<String> = s
        .fields()
        .map(|f| f.as_str())
        .filter(|f| f.starts_with("a-") && !KEPT_ATTRIBUTES.contains(f))
        .map(str::to_string)
        .collect();
    for field in attributes {
        s.remove_field(&field);
    }
    let name = s
        .get::<&str>("encoding-name")
        .unwrap_or("unnamed")
        .to_string();
    let rate = s.get::<i32>("clock-rate").unwrap_or(0);
    let what = match s.get::<&str>("encoding-params") {
        Ok(params) => format!("{name}/{rate}/{params}"),
        Err(_) => format!("{name}/{rate}"),
    };
    let field = |f: &str| s.get::<&str>(f).ok().map(str::to_ascii_lowercase);
    match (kind, name.as_str()) {
        ("video", "H264") => {
            if rate != 90000 {
                return Err(what);
            }
            if let Some(mode) = field("packetization-mode")
                && mode != "0"
                && mode != "1"
            {
                return Err(format!("{what} packetization-mode={mode}"));
            }
        }
        ("audio", "MPEG4-GENERIC") => {
            let mode = field("mode");
            let canonical = match mode.as_deref() {
                Some("aac-hbr") => "AAC-hbr",
                Some("aac-lbr") => "AAC-lbr",
                _ => return Err(format!("{what} mode={}", mode.unwrap_or_default())),
            };
            if field("streamtype").is_some_and(|t| t != "5") || field("config").is_none() {
                return Err(format!("{what} without an AAC config"));
            }
            // rtpmp4gdepay's template spells the mode exactly so.
            s.set("mode", canonical);
        }
        ("audio", "MP4A-LATM") => {
            if field("config").is_none() || field("cpresent").is_some_and(|c| c != "0") {
                return Err(format!("{what} without cpresent=0 and a config"));
            }
        }
        _ => return Err(what),
    }
    Ok(caps)
}

/// `a=rtcp:PORT [IN IP4 addr]` (RFC 3605), or the RTP port + 1.
fn rtcp_port(media: &SDPMediaRef, port: u16) -> Result<u16, String> {
    let kind = media.media().unwrap_or_default();
    match media.attribute_val("rtcp") {
        Some(value) => value
            .split_whitespace()
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("the peer's SDP has a bad {kind} a=rtcp:{value}")),
        None => port
            .checked_add(1)
            .ok_or_else(|| format!("the peer's SDP has {kind} port {port} and no a=rtcp")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gst::prelude::*;
    use std::str::FromStr;

    /// ffmpeg 5.1 `-sdp_file` for libx264 (no global header) + native AAC: decoded by
    /// GStreamer with the caps `parse_peer_sdp` makes.
    const FFMPEG_AAC_SDP: &str = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nt=0 0\r\n\
        a=tool:libavformat LIBAVFORMAT_VERSION\r\nm=video 5002 RTP/AVP 96\r\n\
        c=IN IP4 127.0.0.1\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n\
        m=audio 5006 RTP/AVP 97\r\nc=IN IP4 127.0.0.1\r\nb=AS:64\r\n\
        a=rtpmap:97 MPEG4-GENERIC/48000/2\r\n\
        a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3; config=119056E500\r\n";

    /// ffmpeg 5.1 with `-flags:v +global_header` and `-rtpflags latm`.
    const FFMPEG_LATM_SDP: &str = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nt=0 0\r\n\
        a=tool:libavformat LIBAVFORMAT_VERSION\r\nm=video 5002 RTP/AVP 96\r\n\
        c=IN IP4 127.0.0.1\r\na=rtpmap:96 H264/90000\r\n\
        a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0LAHtkAoD2wEQAAAwABAAADADIPFi5I,aMuDyyA=; profile-level-id=42C01E\r\n\
        m=audio 5006 RTP/AVP 97\r\nc=IN IP4 127.0.0.1\r\nb=AS:64\r\n\
        a=rtpmap:97 MP4A-LATM/48000/2\r\n\
        a=fmtp:97 profile-level-id=41;cpresent=0;config=400023203fc0\r\n";

    /// ffmpeg 5.1 sending VP8 and Opus to `[::1]`.
    const FFMPEG_VP8_SDP: &str = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nt=0 0\r\n\
        a=tool:libavformat LIBAVFORMAT_VERSION\r\nm=video 5002 RTP/AVP 96\r\nc=IN IP6 ::1\r\n\
        b=AS:256\r\na=rtpmap:96 VP8/90000\r\nm=audio 5006 RTP/AVP 97\r\nc=IN IP6 ::1\r\n\
        b=AS:64\r\na=rtpmap:97 opus/48000/2\r\n";

    /// What `outgoing_sdp` wrote for the payloaders below (640x480): ffmpeg 5.1 decoded both
    /// streams from it (`ffmpeg -protocol_whitelist file,udp,rtp -i FILE`), as it did the
    /// RTP/AVPF and MP4A-LATM variants.
    const OUR_SDP: &str = "v=0\r\no=- SESSION IN IP4 127.0.0.1\r\ns=videocall\r\n\
        c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
        a=framerate:30\r\n\
        a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAHtoCgPbAWoMDA1KAAAADAIAAAB5HixdQ,aM48gA==;profile-level-id=42c01e\r\n\
        a=rtcp:5001\r\na=sendonly\r\nm=audio 5004 RTP/AVP 97\r\n\
        a=rtpmap:97 MPEG4-GENERIC/48000/2\r\n\
        a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=1190;sizelength=13;indexlength=3;indexdeltalength=3\r\n\
        a=rtcp:5005\r\na=sendonly\r\n";

    /// rtph264pay src caps (x264enc tune=zerolatency, 640x480 at 30 fps).
    const H264_PAY_CAPS: &str = r#"application/x-rtp, media=(string)video, clock-rate=(int)90000, encoding-name=(string)H264, packetization-mode=(string)1, sprop-parameter-sets=(string)"Z0LAHtoCgPbAWoMDA1KAAAADAIAAAB5HixdQ\,aM48gA\=\=", profile-level-id=(string)42c01e, profile=(string)constrained-baseline, payload=(int)96, ssrc=(uint)4018618000, timestamp-offset=(uint)2193227975, seqnum-offset=(uint)23533, a-framerate=(string)30"#;
    /// rtpmp4gpay src caps (voaacenc, 48 kHz stereo).
    const MP4G_PAY_CAPS: &str = "application/x-rtp, media=(string)audio, clock-rate=(int)48000, encoding-name=(string)MPEG4-GENERIC, encoding-params=(string)2, streamtype=(string)5, profile-level-id=(string)2, mode=(string)AAC-hbr, config=(string)1190, sizelength=(string)13, indexlength=(string)3, indexdeltalength=(string)3, payload=(int)97, ssrc=(uint)1236653969, timestamp-offset=(uint)2264500939, seqnum-offset=(uint)21281";
    /// rtpmp4apay src caps (voaacenc, 48 kHz stereo).
    const MP4A_PAY_CAPS: &str = "application/x-rtp, media=(string)audio, clock-rate=(int)48000, encoding-name=(string)MP4A-LATM, cpresent=(string)0, config=(string)40002320, payload=(int)97, ssrc=(uint)4189107186, timestamp-offset=(uint)1353774152, seqnum-offset=(uint)2489";

    fn caps(s: &str) -> gst::Caps {
        gst::init().unwrap();
        gst::Caps::from_str(s).unwrap()
    }

    fn outgoing(audio_caps: &str, feedback: bool) -> Outgoing {
        Outgoing {
            session_name: "videocall".into(),
            origin_ip: "127.0.0.1".parse().unwrap(),
            dest_ip: "127.0.0.1".parse().unwrap(),
            video: Some(OutgoingMedia {
                port: 5000,
                caps: caps(H264_PAY_CAPS),
                crypto: None,
            }),
            audio: Some(OutgoingMedia {
                port: 5004,
                caps: caps(audio_caps),
                crypto: None,
            }),
            feedback,
        }
    }

    /// The `o=` line carries a time-based session id.
    fn without_session_id(sdp: &str) -> String {
        sdp.lines()
            .map(|l| match l.strip_prefix("o=- ") {
                Some(rest) => {
                    let f: Vec<&str> = rest.split(' ').collect();
                    assert_eq!(f[0], f[1], "session id and version");
                    assert!(f[0].parse::<u64>().unwrap() > NTP_UNIX_OFFSET);
                    format!("o=- SESSION {}\r\n", f[2..].join(" "))
                }
                None => format!("{l}\r\n"),
            })
            .collect()
    }

    fn field(caps: &str, name: &str) -> Option<String> {
        let caps = gst::Caps::from_str(caps).unwrap();
        let s = caps.structure(0).unwrap();
        s.value(name).ok().map(|v| match v.get::<&str>() {
            Ok(s) => s.to_string(),
            Err(_) => v.serialize().unwrap().to_string(),
        })
    }

    fn fmtp(sdp: &str, pt: u8) -> String {
        let prefix = format!("a=fmtp:{pt} ");
        sdp.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap()
            .to_string()
    }

    fn err(text: &str) -> String {
        let e = parse_peer_sdp(text).unwrap_err();
        assert!(!e.contains('\n'), "{e}");
        e
    }

    #[test]
    fn writes_the_sdp_ffmpeg_played() {
        let sdp = outgoing_sdp(&outgoing(MP4G_PAY_CAPS, false)).unwrap();
        assert_eq!(without_session_id(&sdp), OUR_SDP);
    }

    #[test]
    fn stream_fields_stay_out_of_fmtp() {
        let sdp = outgoing_sdp(&outgoing(MP4G_PAY_CAPS, false)).unwrap();
        for pt in [96, 97] {
            let fmtp = fmtp(&sdp, pt);
            for leak in [
                "ssrc",
                "timestamp-offset",
                "seqnum-offset",
                "profile=",
                "framerate",
                "payload",
                "clock-rate",
                "encoding",
                "media",
                "level-asymmetry",
            ] {
                assert!(!fmtp.contains(leak), "{leak} in {fmtp}");
            }
        }
        let mut out = outgoing(MP4G_PAY_CAPS, false);
        let video = out.video.as_mut().unwrap();
        let extra = format!(
            "{H264_PAY_CAPS}, rtcp-fb-nack=(boolean)true, extmap-1=(string)urn:x, x-gst-foo=(string)1, a-mid=(string)v"
        );
        video.caps = caps(&extra);
        let sdp = outgoing_sdp(&out).unwrap();
        assert!(!sdp.contains("rtcp-fb") && !sdp.contains("extmap") && !sdp.contains("mid"));
        assert!(!sdp.contains("x-gst"));
    }

    #[test]
    fn writes_feedback_for_the_video() {
        let sdp = outgoing_sdp(&outgoing(MP4G_PAY_CAPS, true)).unwrap();
        assert!(sdp.contains("m=video 5000 RTP/AVPF 96\r\n"));
        assert!(sdp.contains("m=audio 5004 RTP/AVPF 97\r\n"));
        for fb in ["nack", "nack pli", "ccm fir"] {
            assert!(sdp.contains(&format!("a=rtcp-fb:96 {fb}\r\n")), "{fb}");
        }
        assert!(!sdp.contains("a=rtcp-fb:97"));
    }

    #[test]
    fn writes_latm() {
        let sdp = outgoing_sdp(&outgoing(MP4A_PAY_CAPS, false)).unwrap();
        assert!(sdp.contains("a=rtpmap:97 MP4A-LATM/48000\r\n"));
        assert_eq!(fmtp(&sdp, 97), "cpresent=0;config=40002320");
        assert!(sdp.contains("a=rtcp:5005\r\n"));
    }

    #[test]
    fn writes_ipv6_and_one_line_names() {
        let mut out = outgoing(MP4G_PAY_CAPS, false);
        out.origin_ip = "fe80::1".parse().unwrap();
        out.dest_ip = "2001:db8::2".parse().unwrap();
        out.session_name = "evil\r\na=inject".into();
        out.audio = None;
        let sdp = outgoing_sdp(&out).unwrap();
        assert!(sdp.contains(" IN IP6 fe80::1\r\n"));
        assert!(sdp.contains("c=IN IP6 2001:db8::2\r\n"));
        assert!(sdp.contains("s=evil  a=inject\r\n"));
        assert!(!sdp.contains("m=audio"));
        out.session_name = " ".into();
        assert!(outgoing_sdp(&out).unwrap().contains("s=-\r\n"));
        out.dest_ip = "239.1.2.3".parse().unwrap();
        assert!(
            outgoing_sdp(&out)
                .unwrap()
                .contains("c=IN IP4 239.1.2.3/16\r\n")
        );
    }

    #[test]
    fn refuses_what_it_cannot_describe() {
        let mut out = outgoing(MP4G_PAY_CAPS, false);
        out.video = None;
        out.audio = None;
        assert!(outgoing_sdp(&out).is_err());
        for port in [0, u16::MAX] {
            let mut out = outgoing(MP4G_PAY_CAPS, false);
            out.video.as_mut().unwrap().port = port;
            assert!(outgoing_sdp(&out).is_err(), "{port}");
        }
        for bad in [
            "application/x-rtp, media=(string)video, clock-rate=(int)90000, encoding-name=(string)H264",
            "application/x-rtp, media=(string)video, payload=(int)96, encoding-name=(string)H264",
            "application/x-rtp, media=(string)video, payload=(int)96, clock-rate=(int)90000",
            MP4G_PAY_CAPS,
        ] {
            let mut out = outgoing(MP4G_PAY_CAPS, false);
            out.video.as_mut().unwrap().caps = caps(bad);
            let e = outgoing_sdp(&out).unwrap_err();
            assert!(e.starts_with("the video caps"), "{e}");
        }
    }

    #[test]
    fn reads_ffmpeg_aac() {
        let peer = parse_peer_sdp(FFMPEG_AAC_SDP).unwrap();
        assert_eq!(peer.connection, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(peer.origin, Some("127.0.0.1".parse().unwrap()));
        let video = peer.video.unwrap();
        assert_eq!((video.port, video.rtcp_port, video.pt), (5002, 5003, 96));
        assert_eq!(
            video.caps,
            "application/x-rtp, media=(string)video, payload=(int)96, clock-rate=(int)90000, \
             encoding-name=(string)H264, packetization-mode=(string)1"
        );
        let audio = peer.audio.unwrap();
        assert_eq!((audio.port, audio.rtcp_port, audio.pt), (5006, 5007, 97));
        assert_eq!(
            audio.caps,
            "application/x-rtp, media=(string)audio, payload=(int)97, clock-rate=(int)48000, \
             encoding-name=(string)MPEG4-GENERIC, encoding-params=(string)2, \
             profile-level-id=(string)1, mode=(string)AAC-hbr, sizelength=(string)13, \
             indexlength=(string)3, indexdeltalength=(string)3, config=(string)119056E500"
        );
    }

    #[test]
    fn reads_ffmpeg_latm() {
        let peer = parse_peer_sdp(FFMPEG_LATM_SDP).unwrap();
        let video = peer.video.unwrap();
        assert_eq!(
            field(&video.caps, "sprop-parameter-sets").as_deref(),
            Some("Z0LAHtkAoD2wEQAAAwABAAADADIPFi5I,aMuDyyA=")
        );
        assert_eq!(
            field(&video.caps, "profile-level-id").as_deref(),
            Some("42C01E")
        );
        let audio = peer.audio.unwrap();
        assert_eq!((audio.port, audio.rtcp_port, audio.pt), (5006, 5007, 97));
        assert_eq!(
            audio.caps,
            "application/x-rtp, media=(string)audio, payload=(int)97, clock-rate=(int)48000, \
             encoding-name=(string)MP4A-LATM, encoding-params=(string)2, \
             profile-level-id=(string)41, cpresent=(string)0, config=(string)400023203fc0"
        );
    }

    #[test]
    fn reads_back_what_it_writes() {
        for (audio, feedback) in [(MP4G_PAY_CAPS, false), (MP4A_PAY_CAPS, true)] {
            let out = outgoing(audio, feedback);
            let peer = parse_peer_sdp(&outgoing_sdp(&out).unwrap()).unwrap();
            assert_eq!(peer.connection, Some(out.dest_ip));
            assert_eq!(peer.origin, Some(out.origin_ip));
            let pairs = [
                (peer.video.unwrap(), H264_PAY_CAPS, 5000),
                (peer.audio.unwrap(), audio, 5004),
            ];
            for (incoming, sent, port) in pairs {
                assert_eq!((incoming.port, incoming.rtcp_port), (port, port + 1));
                let sent = caps(sent);
                let sent = sent.structure(0).unwrap();
                assert_eq!(i32::from(incoming.pt), sent.get::<i32>("payload").unwrap());
                for (name, value) in sent.iter() {
                    let expected = match name.as_str() {
                        "ssrc" | "timestamp-offset" | "seqnum-offset" | "profile" => None,
                        _ => Some(value.serialize().unwrap().to_string()),
                    };
                    let got = gst::Caps::from_str(&incoming.caps).unwrap();
                    let got = got.structure(0).unwrap().value(name).ok().cloned();
                    let got = got.map(|v| v.serialize().unwrap().to_string());
                    assert_eq!(got, expected, "{name}");
                }
                let got = caps(&incoming.caps);
                let fb = got.structure(0).unwrap().has_field("rtcp-fb-nack-pli");
                assert_eq!(fb, feedback && port == 5000);
            }
        }
    }

    #[test]
    fn refuses_other_codecs_naming_them() {
        assert_eq!(
            err(FFMPEG_VP8_SDP),
            "the peer's SDP offers video as VP8/90000 (payload 96): videocall receives H264 only"
        );
        let opus_only = FFMPEG_VP8_SDP.replace("m=video 5002", "m=video 0");
        assert_eq!(
            err(&opus_only),
            "the peer's SDP offers audio as OPUS/48000/2 (payload 97): videocall receives AAC \
             (MPEG4-GENERIC in AAC-hbr/AAC-lbr mode, or MP4A-LATM) only"
        );
        let h264_mode2 = FFMPEG_AAC_SDP.replace("packetization-mode=1", "packetization-mode=2");
        assert!(err(&h264_mode2).contains("H264/90000 packetization-mode=2 (payload 96)"));
        let celp = FFMPEG_AAC_SDP.replace("mode=AAC-hbr", "mode=CELP-cbr");
        assert!(err(&celp).contains("MPEG4-GENERIC/48000/2 mode=celp-cbr (payload 97)"));
        let no_config = FFMPEG_LATM_SDP.replace(";config=400023203fc0", "");
        assert!(err(&no_config).contains("MP4A-LATM/48000/2 without cpresent=0"));
        let srtp = FFMPEG_AAC_SDP.replace("RTP/AVP 96", "RTP/SAVP 96");
        assert_eq!(
            err(&srtp),
            "the peer's SDP offers video over RTP/SAVP without a=crypto: videocall takes SRTP \
             keys from a=crypto only"
        );
        let dtls = FFMPEG_AAC_SDP.replace("RTP/AVP 96", "UDP/TLS/RTP/SAVPF 96");
        assert!(err(&dtls).contains("over UDP/TLS/RTP/SAVPF: videocall receives RTP/AVP"));
        let no_rtpmap = FFMPEG_AAC_SDP.replace("a=rtpmap:96 H264/90000\r\n", "");
        assert!(err(&no_rtpmap).contains("video as payload 96 without a=rtpmap"));
    }

    #[test]
    fn picks_the_first_payload_and_line_it_can_receive() {
        let sdp = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=x\nt=0 0\nm=video 6000 RTP/AVPF 98 100\n\
                   c=IN IP4 10.0.0.2\na=rtpmap:98 VP8/90000\na=rtpmap:100 h264/90000\n\
                   a=fmtp:100 Packetization-Mode=1\na=rtcp:7001 IN IP4 10.0.0.2\n\
                   m=video 6010 RTP/AVP 96\na=rtpmap:96 H264/90000\n\
                   m=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/48000/2\n\
                   m=audio 6020 RTP/AVP 99\na=rtpmap:99 mpeg4-generic/44100\n\
                   a=fmtp:99 streamtype=5; mode=aac-lbr; config=1208; sizelength=6\n";
        let peer = parse_peer_sdp(sdp).unwrap();
        assert_eq!(peer.connection, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(peer.origin, Some("10.0.0.1".parse().unwrap()));
        let video = peer.video.unwrap();
        assert_eq!((video.port, video.rtcp_port, video.pt), (6000, 7001, 100));
        assert_eq!(field(&video.caps, "encoding-name").as_deref(), Some("H264"));
        assert_eq!(
            field(&video.caps, "packetization-mode").as_deref(),
            Some("1")
        );
        let audio = peer.audio.unwrap();
        assert_eq!((audio.port, audio.rtcp_port, audio.pt), (6020, 6021, 99));
        assert_eq!(field(&audio.caps, "mode").as_deref(), Some("AAC-lbr"));
        assert_eq!(field(&audio.caps, "clock-rate").as_deref(), Some("44100"));
        assert_eq!(field(&audio.caps, "encoding-params"), None);
    }

    #[test]
    fn reads_addresses() {
        let ipv6 = FFMPEG_AAC_SDP
            .replace("c=IN IP4 127.0.0.1", "c=IN IP6 2001:db8::7")
            .replace("o=- 0 0 IN IP4 127.0.0.1", "o=- 0 0 IN IP6 ::1");
        let peer = parse_peer_sdp(&ipv6).unwrap();
        assert_eq!(peer.connection, Some("2001:db8::7".parse().unwrap()));
        assert_eq!(peer.origin, Some("::1".parse().unwrap()));

        let session_level = "v=0\no=- 1 1 IN IP4 host.example\ns=x\nc=IN IP4 224.2.1.1/127/2\n\
                             t=0 0\nm=audio 5004 RTP/AVP 97\nc=IN IP4 10.9.9.9\n\
                             a=rtpmap:97 MP4A-LATM/48000\na=fmtp:97 cpresent=0;config=40002320\n";
        let peer = parse_peer_sdp(session_level).unwrap();
        assert_eq!(peer.connection, Some("224.2.1.1".parse().unwrap()));
        assert_eq!(peer.origin, None);
        assert!(peer.video.is_none());

        let no_c = FFMPEG_AAC_SDP.replace("c=IN IP4 127.0.0.1\r\n", "");
        let peer = parse_peer_sdp(&no_c).unwrap();
        assert_eq!(peer.connection, None);
        assert!(peer.video.is_some() && peer.audio.is_some());

        let hostname = FFMPEG_AAC_SDP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 peer.example");
        assert!(err(&hostname).contains("'peer.example'"));
    }

    #[test]
    fn reads_rtcp_ports() {
        let with = FFMPEG_AAC_SDP.replace(
            "a=fmtp:96 packetization-mode=1\r\n",
            "a=fmtp:96 packetization-mode=1\r\na=rtcp:9000 IN IP4 127.0.0.1\r\n",
        );
        let peer = parse_peer_sdp(&with).unwrap();
        assert_eq!(peer.video.unwrap().rtcp_port, 9000);
        assert_eq!(peer.audio.unwrap().rtcp_port, 5007);
        for bad in ["a=rtcp:x", "a=rtcp:0", "a=rtcp:70000", "a=rtcp:"] {
            let sdp = with.replace("a=rtcp:9000 IN IP4 127.0.0.1", bad);
            assert!(err(&sdp).contains("a=rtcp"), "{bad}");
        }
        let last_port = FFMPEG_AAC_SDP.replace("m=video 5002", "m=video 65535");
        assert!(err(&last_port).contains("port 65535"));
    }

    #[test]
    fn refuses_garbage() {
        assert_eq!(err(""), "the peer's SDP is empty");
        for garbage in [
            "hello world",
            "\u{0}\u{1}\u{2}",
            "m=video 5002 RTP/AVP 96",
            "{}",
        ] {
            assert!(err(garbage).contains("not an SDP"), "{garbage:?}");
        }
        let nothing = "the peer's SDP offers no video or audio stream";
        assert_eq!(
            err("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n"),
            nothing
        );
        let disabled = FFMPEG_AAC_SDP
            .replace("m=video 5002", "m=video 0")
            .replace("m=audio 5006", "m=audio 0");
        assert_eq!(err(&disabled), nothing);
        let text_only = "v=0\ns=x\nt=0 0\nm=text 5000 RTP/AVP 98\na=rtpmap:98 t140/1000\n";
        assert_eq!(err(text_only), nothing);
        let junk_lines = format!("{FFMPEG_AAC_SDP}zzz\r\n=\r\nm=\r\na=rtpmap:\r\n");
        let peer = parse_peer_sdp(&junk_lines).unwrap();
        assert!(peer.video.is_some() && peer.audio.is_some());
    }

    const CM_KEY: &str = "zRdYtHJhS9cj/TMnPiI5Tz7kygiUPn69C3R8hHq1";

    fn key(suite: SrtpSuite) -> SrtpKey {
        SrtpKey::random(suite)
    }

    #[test]
    fn crypto_lines_round_trip_for_both_suites() {
        for (suite, name, len) in [
            (
                SrtpSuite::AesCm128HmacSha1_80,
                "AES_CM_128_HMAC_SHA1_80",
                30,
            ),
            (SrtpSuite::AesGcm128, "AEAD_AES_128_GCM", 28),
        ] {
            let crypto = SdesCrypto {
                tag: 1,
                suite,
                key: key(suite),
            };
            let line = crypto.attribute();
            let encoded = line
                .strip_prefix(&format!("1 {name} inline:"))
                .unwrap_or_else(|| panic!("{line}"));
            // 30 and 28 bytes both take 40 base64 characters, GCM's with one '='.
            assert_eq!(encoded.len(), 40, "{line}");
            assert_eq!(encoded.ends_with('='), len == 28, "{line}");
            assert_eq!(STANDARD.decode(encoded).unwrap().len(), len);
            assert_eq!(SdesCrypto::parse(&line), Ok(crypto.clone()));
            // Unpadded, with a lifetime, and with harmless session parameters: the same key.
            let unpadded = line.trim_end_matches('=').to_string();
            for variant in [
                unpadded,
                format!("{line}|2^31"),
                format!("{line}|1048576 WSH=64 KDR=0"),
            ] {
                assert_eq!(SdesCrypto::parse(&variant), Ok(crypto.clone()), "{variant}");
            }
        }
        let ffmpeg = SdesCrypto::parse(&format!("7 AES_CM_128_HMAC_SHA1_80 inline:{CM_KEY}"));
        let ffmpeg = ffmpeg.unwrap();
        assert_eq!((ffmpeg.tag, ffmpeg.key.bytes().len()), (7, 30));
        assert_eq!(STANDARD.encode(ffmpeg.key.bytes()), CM_KEY);
    }

    #[test]
    fn crypto_lines_we_cannot_use_are_refused_in_one_line() {
        let gcm_key = STANDARD.encode(key(SrtpSuite::AesGcm128).bytes());
        let short = STANDARD.encode([1u8; 16]);
        for (value, needle) in [
            (
                format!("1 AES_CM_128_HMAC_SHA1_32 inline:{CM_KEY}"),
                "suite AES_CM_128_HMAC_SHA1_32: videocall takes AES_CM_128_HMAC_SHA1_80 or \
                 AEAD_AES_128_GCM only",
            ),
            (
                format!("1 F8_128_HMAC_SHA1_80 inline:{CM_KEY}"),
                "suite F8_128_HMAC_SHA1_80",
            ),
            (
                format!("1 AES_CM_128_HMAC_SHA1_80 inline:{gcm_key}"),
                "AES_CM_128_HMAC_SHA1_80 key is 28 bytes: it must be 30 (key and salt)",
            ),
            (
                format!("1 AEAD_AES_128_GCM inline:{CM_KEY}"),
                "AEAD_AES_128_GCM key is 30 bytes: it must be 28 (key and salt)",
            ),
            (
                format!("1 AES_CM_128_HMAC_SHA1_80 inline:{short}"),
                "key is 16 bytes",
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:not*base64!".into(),
                "not base64",
            ),
            (
                format!("1 AES_CM_128_HMAC_SHA1_80 inline:{CM_KEY}|2^20|1:4"),
                "MKI",
            ),
            (
                format!("1 AES_CM_128_HMAC_SHA1_80 inline:{CM_KEY};inline:{CM_KEY}"),
                "several keys",
            ),
            (
                format!("1 AES_CM_128_HMAC_SHA1_80 inline:{CM_KEY} UNENCRYPTED_SRTP"),
                "session parameter UNENCRYPTED_SRTP",
            ),
            (format!("1 AES_CM_128_HMAC_SHA1_80 {CM_KEY}"), "inline:"),
            ("x AES_CM_128_HMAC_SHA1_80 inline:a".into(), "tag 'x'"),
            ("1 AES_CM_128_HMAC_SHA1_80".into(), "is not <tag> <suite>"),
        ] {
            let e = SdesCrypto::parse(&value).unwrap_err();
            assert!(e.contains(needle), "{value}: {e}");
            assert!(!e.contains('\n') && !e.contains(CM_KEY), "{e}");
        }
    }

    #[test]
    fn writes_and_reads_back_sdes_keys() {
        let mut out = outgoing(MP4G_PAY_CAPS, true);
        let suite = SrtpSuite::AesCm128HmacSha1_80;
        let keys = [key(suite), key(suite)];
        for (media, key) in [out.video.as_mut(), out.audio.as_mut()]
            .into_iter()
            .zip(&keys)
        {
            media.unwrap().crypto = Some(SdesCrypto {
                tag: 1,
                suite,
                key: key.clone(),
            });
        }
        let sdp = outgoing_sdp(&out).unwrap();
        assert!(sdp.contains("m=video 5000 RTP/SAVPF 96\r\n"), "{sdp}");
        assert!(sdp.contains("m=audio 5004 RTP/SAVPF 97\r\n"), "{sdp}");
        for key in &keys {
            let line = format!(
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{}\r\n",
                STANDARD.encode(key.bytes())
            );
            assert!(sdp.contains(&line), "{sdp}");
        }
        out.feedback = false;
        let plain_profile = outgoing_sdp(&out).unwrap();
        assert!(plain_profile.contains("m=video 5000 RTP/SAVP 96\r\n"));
        let peer = parse_peer_sdp(&sdp).unwrap();
        assert_eq!(peer.video.unwrap().crypto.unwrap().key, keys[0]);
        assert_eq!(peer.audio.unwrap().crypto.unwrap().key, keys[1]);
        // Without keys: no crypto, the plain profiles.
        let plain = outgoing_sdp(&outgoing(MP4G_PAY_CAPS, true)).unwrap();
        assert!(!plain.contains("a=crypto") && !plain.contains("SAVP"));
        assert_eq!(parse_peer_sdp(&plain).unwrap().video.unwrap().crypto, None);
    }

    #[test]
    fn reads_ffmpegs_srtp_keys_under_rtp_avp() {
        // ffmpeg 5.1 `-srtp_out_suite AES_CM_128_HMAC_SHA1_80 -sdp_file`: RTP/AVP with a=crypto.
        let ffmpeg = FFMPEG_AAC_SDP.replace(
            "a=fmtp:96 packetization-mode=1\r\n",
            &format!(
                "a=fmtp:96 packetization-mode=1\r\n\
                 a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{CM_KEY}\r\n"
            ),
        );
        let peer = parse_peer_sdp(&ffmpeg).unwrap();
        let video = peer.video.unwrap();
        assert_eq!(video.crypto.unwrap().suite, SrtpSuite::AesCm128HmacSha1_80);
        assert!(!video.caps.contains("crypto"), "{}", video.caps);
        assert_eq!(peer.audio.unwrap().crypto, None);
        // The first line we can use wins; with none usable, the first refusal is told.
        let two = ffmpeg.replace(
            "a=crypto:1",
            &format!("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{CM_KEY}\r\na=crypto:1"),
        );
        let video = parse_peer_sdp(&two).unwrap().video.unwrap();
        assert_eq!(video.crypto.unwrap().tag, 1);
        let unusable = ffmpeg.replace("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32");
        assert_eq!(
            err(&unusable),
            "the peer's SDP, video: a=crypto suite AES_CM_128_HMAC_SHA1_32: videocall takes \
             AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM only"
        );
        let savp = ffmpeg.replace("RTP/AVP 96", "RTP/SAVP 96");
        assert!(
            parse_peer_sdp(&savp)
                .unwrap()
                .video
                .unwrap()
                .crypto
                .is_some()
        );
    }

    #[test]
    fn caps_parse_back() {
        let peer = parse_peer_sdp(FFMPEG_LATM_SDP).unwrap();
        for m in [peer.video.unwrap(), peer.audio.unwrap()] {
            let caps = caps(&m.caps);
            assert_eq!(caps.structure(0).unwrap().name(), "application/x-rtp");
        }
    }
}
