#!/bin/sh
# A/V offset of a `--record` file: ffmpeg sends a white frame and a 50 ms 1 kHz beep at every whole
# second (the same instant at the source); videocall records what it receives; then the flashes
# and the beep onsets are found by their timestamps in the file. Needs a debug or release build.
# Usage: scripts/record-av-offset.sh [videocall binary] (run from an empty directory)
set -e
BIN=${1:-target/debug/videocall}
OUT=rec.mkv
rm -f peer.sdp $OUT
ffmpeg -v error -re -t 14 -f lavfi -i "color=black:s=640x480:r=25,drawbox=x=0:y=0:w=640:h=480:color=white:t=fill:enable='lt(mod(t\,1)\,0.04)'" \
  -t 14 -f lavfi -i "aevalsrc='if(lt(mod(t\,1)\,0.05)\,0.8*sin(2*PI*1000*t)\,0)|if(lt(mod(t\,1)\,0.05)\,0.8*sin(2*PI*1000*t)\,0)':s=48000" \
  -map 0:v -c:v libx264 -pix_fmt yuv420p -profile:v baseline -tune zerolatency -g 25 -payload_type 96 -f rtp rtp://127.0.0.1:27002 \
  -map 1:a -c:a aac -ar 48000 -ac 2 -b:a 64k -max_delay 0 -payload_type 97 -f rtp rtp://127.0.0.1:27006 -sdp_file peer.sdp &
FF=$!
while [ ! -s peer.sdp ]; do sleep 0.1; done
$BIN call --peer-sdp peer.sdp --video-dest-port 27000 --audio-dest-port 27004 --remote-ip 127.0.0.1 \
  --video-source test --audio-source test --video-sink none --audio-sink none --insecure --no-prompt \
  --duration 12 --record $OUT --stats-interval 20 2>&1 | tail -3
wait $FF || true
f=$OUT
ffmpeg -v error -i "$f" -map 0:v -vf "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-" \
  -fps_mode passthrough -enc_time_base:v -1 -copyts -f null - 2>/dev/null | paste - - \
  | awk '{split($3,a,":"); split($4,b,"="); if (b[2]>128) print "v", a[2]}' > marks.txt
ffmpeg -v error -i "$f" -map 0:a -af "astats=metadata=1:reset=1,ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-" \
  -copyts -f null - 2>/dev/null | paste - - \
  | awk '{split($3,a,":"); split($4,b,"="); loud=(b[2]!="-inf" && b[2]>-30); if (loud && !was) print "a", a[2]; was=loud}' >> marks.txt
python3 - <<'PY'
v=[float(l.split()[1]) for l in open('marks.txt') if l[0]=='v']
a=[float(l.split()[1]) for l in open('marks.txt') if l[0]=='a']
print("flashes", [round(x,3) for x in v]); print("beeps", [round(x,3) for x in a])
d=[round((b-min(v,key=lambda x:abs(x-b)))*1000) for b in a if v and min(abs(x-b) for x in v)<0.5]
print("audio minus video, ms:", d); d.sort(); print("median", d[len(d)//2] if d else None)
PY
