# seed000.py -- Rampart acceptance script derived from the vendor tutorial
#   /work/shared/seeds/000_2db6216399c51d4d.txt
#   "Change the Update Source of Security Agents"
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
# Not copied (prose, not code): the settings table of "Modify the Update Settings"
# (seed lines 261-279: `AllowUpdateFromOtherAU = 1` etc. are table cells; the
# same values are set in the code block that follows it).
#
# Source map (seed .txt lines -> lines of this script):
#     62-64   ->   58-60
#     71-75   ->   62-66
#     77-80   ->   68-71
#     82-90   ->   73-81
#    100-109  ->   83-92
#    111-114  ->   94-97
#    153-154  ->   99-100
#    164-177  ->  102-115
#    179-182  ->  117-120
#    244-249  ->  122-127
#    281-320  ->  129-168
#    322-325  ->  170-173
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
  print('Not successful, please handle your error')
# print(r.status_code)
# print(json.dumps(r.json(), indent=4))

ServerGUID = r.json()["result_content"][0]["entity_id"]
print("ServerGUID:", ServerGUID)

### (Optional) Get the IP address of product agents
print('(Optional) Get the IP address of product agents')
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
  print('Not successful, please handle your error')
# print(r.status_code)
# print(json.dumps(r.json(), indent=4))

AgentIPv4_FromIP=r.json()["result_content"][1]["ip_address_list"]
AgentIPv4_ToIP=r.json()["result_content"][-1]["ip_address_list"]
OUS_URL="http://"+r.json()["result_content"][0]["ip_address_list"]+":21112/activeupdate"
print("AgentIPv4_FromIP:",AgentIPv4_FromIP)
print("AgentIPv4_ToIP:",AgentIPv4_ToIP)
print("OUS_URL:",OUS_URL)

productAgentAPIPath = '/WebApp/API/ServerResource/ProductServers'
canonicalRequestHeaders = ''
useQueryString = ''
 
# Prepare input json that type is string.
OUSSettingJSONString_1={
  "FromIP":AgentIPv4_FromIP,
  "ToIP":AgentIPv4_ToIP,
  "OUS":OUS_URL
}
OUSSettingJSONString_1 = json.dumps(OUSSettingJSONString_1)
   
setting_data_JSON_string = {
  "AllowUpdateFromOtherAU":1,
  "UpdateComponentFromServerIfOUSFailed":1,
  "UpdateSettingFromServerIfOUSFailed":1,
  "UpdateProgramFromServerIfOUSFailed":1,
  "OUSList":[
    {
      "OUSSettingType":"IPv4",
      "OUSSettingJSONString":OUSSettingJSONString_1
    }
  ]
}
 
setting_data_JSON_string = str(setting_data_JSON_string)
 
payload = {
  "entity_id": ServerGUID,
  "act":"cmd_deploy_update_sources",
  "setting_data_JSON_string":setting_data_JSON_string
  }
useRequestBody = json.dumps(payload) 
  
jwt_token = create_jwt_token(use_application_id, use_api_key, 'POST',
                              productAgentAPIPath + useQueryString,
                              canonicalRequestHeaders, useRequestBody, iat=time.time())
 
headers = {'Authorization': 'Bearer ' + jwt_token , 'Content-Type': 'application/json;charset=utf-8'}
r = requests.post(use_url_base + productAgentAPIPath + useQueryString, headers=headers, data=useRequestBody, verify=False)

if r.status_code !=200 or r.status_code!=201:
  print('Not successful, please handle your error')
print(r.status_code)
print(json.dumps(r.json(), indent=4))
