-- Wireshark dissector for SixChat E2ED (docs/spec.md chapter 2 "Framing", 8.1 "Record format")
-- and the same framing of IRP inside TLS (chapter 14.2).
--
--   frame  = uint32 L (big-endian) | uint8 type | payload (L - 1 bytes)
--   type 0x01 plaintext: payload is one XML document (handed to Wireshark's XML dissector)
--   type 0x02 record:    payload is AEAD ciphertext || 16-byte tag; the 5 header bytes are the AAD
--
-- Use:  wireshark -X lua_script:wireshark/e2ed.lua capture.pcap
--       tshark -X lua_script:wireshark/e2ed.lua -r capture.pcap -Y e2ed
-- or copy this file into Wireshark's personal plugins folder. It registers on TCP port 4605 (the
-- spec's port) and as a TCP heuristic, so connections on other ports are found too; IRP is
-- registered on TLS port 4604 (visible when Wireshark can decrypt the TLS, e.g. with a key log).

local MAX_FRAME = 1048576
local TAG_LENGTH = 16

local e2ed = Proto("e2ed", "SixChat End2End Direct")
local irp = Proto("irp", "SixChat Identity Registration Protocol")

local frame_types = { [1] = "plaintext", [2] = "record" }

local function make_fields(p, prefix)
  local f = {
    length = ProtoField.uint32(prefix .. ".length", "Length (type + payload)", base.DEC),
    type = ProtoField.uint8(prefix .. ".type", "Frame type", base.HEX, frame_types),
    payload = ProtoField.bytes(prefix .. ".payload", "Payload"),
    xml = ProtoField.string(prefix .. ".xml", "XML text"),
    message = ProtoField.string(prefix .. ".message", "Message"),
    ciphertext = ProtoField.bytes(prefix .. ".record.ciphertext", "Record ciphertext"),
    ciphertext_length = ProtoField.uint32(prefix .. ".record.ciphertext_length", "Ciphertext length", base.DEC),
    tag = ProtoField.bytes(prefix .. ".record.tag", "AEAD tag"),
    aad = ProtoField.bytes(prefix .. ".record.aad", "AAD (frame header)"),
  }
  p.fields = { f.length, f.type, f.payload, f.xml, f.message, f.ciphertext, f.ciphertext_length, f.tag, f.aad }
  return f
end

local ef = make_fields(e2ed, "e2ed")
local irf = make_fields(irp, "irp")

local function make_experts(p, prefix)
  local x = {
    bad_type = ProtoExpert.new(prefix .. ".bad_type", "Unknown frame type (decode_error, E2ED-FRAME-4)", expert.group.MALFORMED, expert.severity.ERROR),
    zero_length = ProtoExpert.new(prefix .. ".zero_length", "Frame length 0 (decode_error, E2ED-FRAME-2)", expert.group.MALFORMED, expert.severity.ERROR),
    too_long = ProtoExpert.new(prefix .. ".too_long", "Frame longer than 1 MiB (record_overflow, E2ED-FRAME-3)", expert.group.MALFORMED, expert.severity.ERROR),
    short_record = ProtoExpert.new(prefix .. ".short_record", "Record shorter than its 16-byte tag (decode_error)", expert.group.MALFORMED, expert.severity.ERROR),
  }
  p.experts = { x.bad_type, x.zero_length, x.too_long, x.short_record }
  return x
end

local ex = make_experts(e2ed, "e2ed")
local irx = make_experts(irp, "irp")

local xml_dissector = Dissector.get("xml")

-- The root element of a plaintext frame, with the role of a Hello: "Hello (initiator)", "Alert".
local function message_name(text)
  local name = text:match("^%s*<%?xml[^>]*%?>%s*<([%w_:]+)") or text:match("^%s*<([%w_:]+)")
  if not name then return nil end
  name = name:gsub("^[%w_]+:", "")
  if name == "Hello" then
    local role = text:match("role=\"(%w+)\"")
    if role then name = "Hello (" .. role .. ")" end
  elseif name == "Alert" then
    local code = text:match("code=\"([%w_]+)\"")
    if code then name = "Alert " .. code end
  end
  return name
end

local function frame_length(tvb, pinfo, offset)
  return tvb(offset, 4):uint() + 4
end

local function make_pdu_dissector(p, f, x, label)
  return function(tvb, pinfo, tree)
    local length = tvb(0, 4):uint()
    local subtree = tree:add(p, tvb(), label)
    local len_item = subtree:add(f.length, tvb(0, 4))
    if length == 0 then
      len_item:add_proto_expert_info(x.zero_length)
      return tvb:len()
    end
    if length > MAX_FRAME then len_item:add_proto_expert_info(x.too_long) end
    local ftype = tvb(4, 1):uint()
    local type_item = subtree:add(f.type, tvb(4, 1))
    local payload = tvb:len() > 5 and tvb(5) or nil
    local summary
    if ftype == 1 then
      summary = "plaintext"
      if payload then
        local text = payload:string(ENC_UTF_8)
        subtree:add(f.payload, payload)
        subtree:add(f.xml, payload, text)
        local name = message_name(text)
        if name then
          subtree:add(f.message, payload, name)
          summary = name
        end
        if xml_dissector then xml_dissector:call(payload:tvb(), pinfo, subtree) end
      end
    elseif ftype == 2 then
      summary = "record"
      subtree:add(f.aad, tvb(0, 5))
      if not payload or payload:len() < TAG_LENGTH then
        type_item:add_proto_expert_info(x.short_record)
      else
        local clen = payload:len() - TAG_LENGTH
        subtree:add(f.ciphertext_length, payload(0, 0), clen):set_generated()
        if clen > 0 then subtree:add(f.ciphertext, payload(0, clen)) end
        subtree:add(f.tag, payload(clen, TAG_LENGTH))
        summary = "record (" .. clen .. " bytes)"
      end
    else
      type_item:add_proto_expert_info(x.bad_type)
      summary = string.format("unknown type 0x%02x", ftype)
    end
    subtree:append_text(", " .. summary)
    pinfo.cols.protocol:set(label)
    local info = tostring(pinfo.cols.info)
    if info:find("^" .. label .. ": ") then
      pinfo.cols.info:append(", " .. summary)
    else
      pinfo.cols.info:set(label .. ": " .. summary)
    end
    return tvb:len()
  end
end

local e2ed_pdu = make_pdu_dissector(e2ed, ef, ex, "E2ED")
local irp_pdu = make_pdu_dissector(irp, irf, irx, "IRP")

function e2ed.dissector(tvb, pinfo, tree)
  dissect_tcp_pdus(tvb, tree, 5, frame_length, e2ed_pdu, true)
  return tvb:len()
end

function irp.dissector(tvb, pinfo, tree)
  dissect_tcp_pdus(tvb, tree, 5, frame_length, irp_pdu, true)
  return tvb:len()
end

-- Heuristic: the first frame of a connection is a plaintext Hello, so a segment that starts with
-- a plausible header (1 <= L <= 1 MiB, type 1 or 2) and, for plaintext, an XML start is E2ED.
local function heuristic(tvb, pinfo, tree)
  if tvb:len() < 6 then return false end
  local length = tvb(0, 4):uint()
  local ftype = tvb(4, 1):uint()
  if length < 1 or length > MAX_FRAME then return false end
  if ftype == 1 then
    if tvb(5, 1):uint() ~= 0x3c then return false end -- '<'
  elseif ftype == 2 then
    if length < 1 + TAG_LENGTH then return false end
  else
    return false
  end
  pinfo.conversation = e2ed
  e2ed.dissector(tvb, pinfo, tree)
  return true
end

DissectorTable.get("tcp.port"):add(4605, e2ed)
e2ed:register_heuristic("tcp", heuristic)
local tls_port = DissectorTable.get("tls.port")
if tls_port then tls_port:add(4604, irp) end
