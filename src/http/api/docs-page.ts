/**
 * GET /v1/docs: the OpenAPI document rendered as a page. Self-contained (inline CSS and script,
 * no CDN, nothing downloaded): it reads ./openapi.json from the same server and lists every
 * operation with its parameters, request body, responses and schemas (references resolved).
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kasi Collections API</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{background:#1d2433;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
main{max-width:1040px;margin:0 auto;padding:16px 32px 64px}nav a{margin-right:14px}
.op{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:14px 0;padding:12px 16px}
.m{display:inline-block;min-width:56px;text-align:center;font-weight:700;border-radius:4px;color:#fff;padding:1px 6px;margin-right:8px;font-size:13px}
.GET{background:#2f7d32}.POST{background:#1f5fbf}.PATCH{background:#a35c00}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}.path{font-weight:600}
pre{background:#f3f4f7;border-radius:4px;padding:8px;overflow:auto;margin:4px 0}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #e3e6eb;padding:3px 8px;text-align:left;vertical-align:top;font-size:14px}
h2{margin-top:28px}h4{margin:10px 0 2px}.muted{color:#5b6475}
</style></head>
<body><header><h1>Kasi Collections API</h1><div id="ver" class="muted"></div></header>
<main><p id="desc"></p><p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p><nav id="nav"></nav><div id="ops">Loading…</div></main>
<script>
(function(){
  var esc=function(s){return String(s).replace(/[&<>"]/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});};
  fetch('openapi.json').then(function(r){return r.json();}).then(function(doc){
    var comps=(doc.components||{}).schemas||{};
    var deref=function(s){var n=0;while(s&&s.$ref&&n++<20){s=comps[s.$ref.split('/').pop()]||{};}return s||{};};
    var render=function(s,depth){
      depth=depth||0;if(depth>6)return '…';
      var name=s&&s.$ref?s.$ref.split('/').pop():null;s=deref(s);
      if(s.anyOf||s.oneOf){return (s.anyOf||s.oneOf).map(function(x){return render(x,depth+1);}).join(' | ');}
      if(s.type==='object'||s.properties){
        var req=s.required||[];var rows=Object.keys(s.properties||{}).map(function(k){var p=s.properties[k];var d=deref(p);
          return '<tr><td><code>'+esc(k)+'</code>'+(req.indexOf(k)>=0?' *':'')+'</td><td>'+render(p,depth+1)+'</td><td>'+esc(d.description||'')+(d.example!==undefined?' <span class="muted">e.g. '+esc(JSON.stringify(d.example))+'</span>':'')+'</td></tr>';}).join('');
        return (name?'<b>'+esc(name)+'</b> ':'')+'object'+(rows?'<table>'+rows+'</table>':'');
      }
      if(s.type==='array')return 'array of '+render(s.items||{},depth+1);
      var t=Array.isArray(s.type)?s.type.join(' | '):(s.type||'any');
      if(s.enum)t+=' ('+s.enum.map(function(e){return JSON.stringify(e);}).join(', ')+')';
      if(s.const!==undefined)t+=' = '+JSON.stringify(s.const);
      if(s.pattern)t+=' <span class="muted">/'+esc(s.pattern)+'/</span>';
      if(s.format)t+=' <span class="muted">'+esc(s.format)+'</span>';
      return (name?'<b>'+esc(name)+'</b> ':'')+t;
    };
    document.getElementById('ver').textContent='version '+doc.info.version;
    document.getElementById('desc').textContent=doc.info.description||'';
    var html='';var tags={};
    Object.keys(doc.paths).forEach(function(path){var item=doc.paths[path];Object.keys(item).forEach(function(m){var op=item[m];var t=(op.tags||['API'])[0];(tags[t]=tags[t]||[]).push([m.toUpperCase(),path,op]);});});
    var nav='';
    Object.keys(tags).forEach(function(t){
      nav+='<a href="#'+esc(t)+'">'+esc(t)+'</a>';html+='<h2 id="'+esc(t)+'">'+esc(t)+'</h2>';
      tags[t].forEach(function(x){var m=x[0],path=x[1],op=x[2];
        html+='<div class="op" id="'+esc(op.operationId)+'"><div><span class="m '+m+'">'+m+'</span><span class="path">'+esc(path)+'</span> — '+esc(op.summary||'')+'</div>';
        if(op.description)html+='<p>'+esc(op.description)+'</p>';
        if(op.parameters&&op.parameters.length){html+='<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>schema</th><th></th></tr>'+op.parameters.map(function(p){return '<tr><td><code>'+esc(p.name)+'</code>'+(p.required?' *':'')+'</td><td>'+esc(p.in)+'</td><td>'+render(p.schema)+'</td><td>'+esc(p.description||'')+'</td></tr>';}).join('')+'</table>';}
        if(op.requestBody){html+='<h4>Request body</h4>';Object.keys(op.requestBody.content).forEach(function(ct){html+='<div><code>'+esc(ct)+'</code>: '+render(op.requestBody.content[ct].schema)+'</div>';});}
        html+='<h4>Responses</h4><table>'+Object.keys(op.responses).map(function(code){var r=op.responses[code];var c=r.content||{};
          return '<tr><td><b>'+esc(code)+'</b></td><td>'+esc(r.description||'')+(r.headers?' <span class="muted">(headers: '+esc(Object.keys(r.headers).join(', '))+')</span>':'')+'</td><td>'+Object.keys(c).map(function(ct){return '<code>'+esc(ct)+'</code> '+(ct==='application/json'?render(c[ct].schema):'');}).join('<br>')+'</td></tr>';}).join('')+'</table></div>';
      });
    });
    document.getElementById('nav').innerHTML=nav;
    document.getElementById('ops').innerHTML=html+'<h2>Authentication</h2><p>Send your key in the <code>X-API-Key</code> header. Errors: <code>{"error":{"code","message","details","request_id"}}</code>.</p>';
  }).catch(function(e){document.getElementById('ops').textContent='Could not load openapi.json: '+e;});
})();
</script></body></html>
`;
