# seed001.py -- Rampart acceptance script derived from the vendor tutorial
#   /work/shared/seeds/001_cb94c93d589bb433.txt
#   "Relocate a Security Agent to Another Managed Server"
#
# Derivation: every Python code block of the tutorial, in order, with the
# 4-space list indent of each block removed; everything else is byte-for-byte
# (odd conditions, commented-out lines, trailing spaces, the misspelled
# `appication_id` parameter included). Example-output blocks (the lone `200`,
# the JSON "response will be similar to" blocks) and prose/table cells are
# not code and are left out. Blocks are separated by one blank line.
#
# Lines that differ from the seed (nothing else does):
#   1. the "Rampart shim" block below: PyJWT 2 jwt.encode returns str, the
#      tutorial (PyJWT 1) calls .decode('utf-8') on it; also silences urllib3's
#      InsecureRequestWarning caused by the tutorial's verify=False.
#   2. `import requests` added: the tutorial uses requests without importing it.
#   3. `import os` added: needed by the three reads in 4.
#   4. use_application_id = YOUR_APPLICATION_ID -> os.environ['RAMPART_APEX_APP_ID']
#      use_api_key = YOUR_API_KEY               -> os.environ['RAMPART_APEX_API_KEY']
#      use_url_base = YOUR_SERVER_URL           -> os.environ['RAMPART_URL']
#   5. this header comment.
#
# ServerGUID is set by this tutorial's own "List managed servers" step (seed
# lines 146-147); nothing is borrowed from other seeds.
#
# Source map (seed .txt lines -> lines of this script):
#     57-59   ->   57-59
#     66-70   ->   61-65
#     72-75   ->   67-70
#     77-86   ->   72-81
#     96-106  ->   83-93
#    108-112  ->   95-99
#    146-147  ->  101-102
#    157-167  ->  104-114
#    169-173  ->  116-120
#    218-219  ->  122-123
#    233-250  ->  125-142
#    252-256  ->  144-148
# Checked by test/seeds/check_extract.py.

# --- Rampart shim: PyJWT 2 returns str where the tutorial (PyJWT 1) expects bytes.
import jwt as _jwt
_orig_encode = _jwt.encode
def _encode_bytes(*a, **k):
    t = _orig_encode(*a, **k)
    return t.encode('utf-8') if isinstance(t, str) else t
_jwt.encode = _encode_bytes
# also silence urllib3's InsecureRequestWarning noise about verify=False
import urllib3; urllib3.disable_warnings()
# --- end shim

# added: the tutorial uses requests without importing it
import requests
# added: needed by the three environment-variable reads replacing the tutorial's parameter lines
import os

use_application_id = os.environ['RAMPART_APEX_APP_ID']
use_api_key = os.environ['RAMPART_APEX_API_KEY']
use_url_base = os.environ['RAMPART_URL']

import base64
import jwt
import hashlib
import time
import json

def create_checksum(http_method, raw_url, headers, request_body):
    string_to_hash = http_method.upper() + '|' + raw_url.lower() + '|' + headers + '|' + request_body
    base64_string = base64.b64encode(hashlib.sha256(str.encode(string_to_hash)).digest()).decode('utf-8')
    return base64_string


def create_jwt_token(appication_id, api_key, http_method, raw_url, headers, request_body,
                     iat=time.time(), algorithm='HS256', version='V1'):
    checksum = create_checksum(http_method, raw_url, headers, request_body)
    payload = {'appid': appication_id,
               'iat': iat,
               'version': version,
               'checksum': checksum}
    token = jwt.encode(payload, api_key, algorithm=algorithm).decode('utf-8')
    return token

print('Retrieving a list of managed product servers reporting to Apex Central.')
productAgentAPIPath = '/WebApp/API/ServerResource/ProductServers'
canonicalRequestHeaders = ''
useRequestBody = ''
useQueryString=''
jwt_token = create_jwt_token(use_application_id, use_api_key, 'GET',
                              productAgentAPIPath + useQueryString,
                              canonicalRequestHeaders, useRequestBody, iat=time.time())
 
headers = {'Authorization': 'Bearer ' + jwt_token , 'Content-Type': 'application/json;charset=utf-8'}
r = requests.get(use_url_base + productAgentAPIPath + useQueryString, headers=headers, verify=False)

if r.status_code !=200 and r.status_code!=201:
  print(r.status_code)
  #insert error handling code

print(json.dumps(r.json(), indent=4))

ServerGUID = r.json()["result_content"][0]["entity_id"]
print("ServerGUID:", ServerGUID)

print('Retrieving a list of Security Agents from Apex Central.')
productAgentAPIPath = '/WebApp/API/AgentResource/ProductAgents'
canonicalRequestHeaders = ''
useRequestBody = ''
useQueryString=''
jwt_token = create_jwt_token(use_application_id, use_api_key, 'GET',
                              productAgentAPIPath + useQueryString,
                              canonicalRequestHeaders, useRequestBody, iat=time.time())
 
headers = {'Authorization': 'Bearer ' + jwt_token , 'Content-Type': 'application/json;charset=utf-8'}
r = requests.get(use_url_base + productAgentAPIPath + useQueryString, headers=headers, verify=False)

if r.status_code !=200 and r.status_code!=201:
  print(r.status_code)
  #insert error handling code
   
print(json.dumps(r.json(), indent=4))

host_name_retrieved = r.json()["result_content"][0]["host_name"]


print('Relocating a host to a new managed server.')
productAgentAPIPath = '/WebApp/API/AgentResource/ProductAgents'
canonicalRequestHeaders = ''
useQueryString = ''
payload = {
  "host_name":host_name_retrieved,
  "act":"cmd_relocate_agent",
  "allow_multiple_match":True,
  "relocate_to_server_id":ServerGUID,
  "relocate_to_folder_path":"\\NewDomain\\NewFolder"
  }
useRequestBody = json.dumps(payload) 
jwt_token = create_jwt_token(use_application_id, use_api_key, 'POST',
                              productAgentAPIPath + useQueryString,
                              canonicalRequestHeaders, useRequestBody, iat=time.time())
 
headers = {'Authorization': 'Bearer ' + jwt_token , 'Content-Type': 'application/json;charset=utf-8'}
r = requests.post(use_url_base + productAgentAPIPath + useQueryString, headers=headers, data=useRequestBody, verify=False)

if r.status_code !=200 and r.status_code!=201:
  print(r.status_code)
  #insert error handling code

print(json.dumps(r.json(), indent=4))
