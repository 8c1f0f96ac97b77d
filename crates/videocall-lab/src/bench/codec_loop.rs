//! Test tool: the call's own encoder and decoder chains back to back, without RTP, so a meter can
//! check that what it writes before the encoder survives to the decoder's output.

use gst::prelude::*;

use videocall_core::build::element::make_element;
use videocall_core::plan::ElementSpec;

/// A built (not yet playing) loop: source ! raw caps ! encoder… ! decoder… ! appsink.
pub struct CodecLoop {
    pub pipeline: gst::Pipeline,
    /// The raw caps filter, where a meter writes before encoding.
    pub raw_caps: gst::Element,
    pub sink: gst_app::AppSink,
}

/// Builds the loop from the call's planned chains: from `send`, the elements between the raw
/// caps filter and the payloader; `decode`, the decoder's elements.
pub fn codec_loop(
    source: gst::Element,
    raw_caps: &str,
    send: &[ElementSpec],
    decode: &[ElementSpec],
) -> CodecLoop {
    gst::init().unwrap();
    let pipeline = gst::Pipeline::new();
    let caps = gst::ElementFactory::make("capsfilter")
        .property("caps", raw_caps.parse::<gst::Caps>().unwrap())
        .build()
        .unwrap();
    let encode = send[send.len() - 3..send.len() - 1].iter();
    let decode = decode.iter();
    let mut chain = vec![source, caps.clone()];
    chain.extend(encode.chain(decode).map(|spec| make_element(spec).unwrap()));
    let sink = gst_app::AppSink::builder().sync(false).build();
    chain.push(sink.clone().upcast());
    pipeline.add_many(&chain).unwrap();
    gst::Element::link_many(&chain).unwrap();
    CodecLoop {
        pipeline,
        raw_caps: caps,
        sink,
    }
}
