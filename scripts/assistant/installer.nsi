; CertRenew 证书助手 — Windows installer (makensis, built by scripts/assistant-pack.ts; do not run by hand).
; 64-bit (the assistant is x64; Wine without 32-bit support runs it too). Per-user: no administrator rights, files in %LOCALAPPDATA%\Programs, registry under HKCU only.
; Defines from the command line: VERSION, PUBLISHER, SRC (folder with certrenew-assistant.exe, portal.json,
; assistant.json), OUTFILE, SIZE_KB, and SIGN (a command that Authenticode-signs the file it is given: the
; uninstaller is signed before it is packed into the installer).
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma
SetCompressorDictSize 32

!include "MUI2.nsh"

!define APP "CertRenew 证书助手"
!define EXE "certrenew-assistant.exe"
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define RUNVALUE "CertRenewAssistant"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\CertRenewAssistant"

!ifdef SIGN
!uninstfinalize '"${SIGN}" "%1"'
!endif

Name "${APP}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\CertRenew Assistant"
InstallDirRegKey HKCU "${UNINSTKEY}" "InstallLocation"
BrandingText "${PUBLISHER}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=2052 "ProductName" "${APP}"
VIAddVersionKey /LANG=2052 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=2052 "FileDescription" "${APP} 安装程序"
VIAddVersionKey /LANG=2052 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "LegalCopyright" "${PUBLISHER}"

!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TITLE "安装 ${APP} ${VERSION}"
!define MUI_WELCOMEPAGE_TEXT "证书助手是在您电脑本机运行的小程序，网页通过它使用 U-Key 中的证书，用于在线更新、解锁和注销证书。$\r$\n$\r$\n安装前请注意：$\r$\n  1. 请先拔下 U-Key，并关闭所有浏览器窗口；$\r$\n  2. 如果杀毒软件或安全卫士询问，请选择“允许”或“信任”；$\r$\n  3. 无需管理员权限，只为当前用户安装，以后开机自动启动。$\r$\n$\r$\n点击“下一步”继续。"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_TITLE "证书助手已安装并已启动"
!define MUI_FINISHPAGE_TEXT "现在请插入 U-Key，重新打开浏览器，回到证书更新页面，页面会自动继续。$\r$\n$\r$\n如果杀毒软件提示拦截，请选择“允许”。Chrome/Edge 询问是否允许访问本地网络设备时，请选择“允许”。$\r$\n$\r$\n服务热线：96701666"
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"

Section "Install"
  ; upgrade in place: stop the running copy so its file can be replaced; the settings in %APPDATA% stay
  nsExec::Exec 'taskkill /F /IM ${EXE}'
  Pop $0
  Sleep 300
  SetOutPath "$INSTDIR"
  SetOverwrite on
  File "${SRC}\${EXE}"
  File "${SRC}\portal.json"
  ; the holder's settings: written once, kept by upgrades (portal.json above carries the portal's origin)
  CreateDirectory "$APPDATA\CertRenew"
  IfFileExists "$APPDATA\CertRenew\assistant.json" settings_kept
    SetOutPath "$APPDATA\CertRenew"
    File "${SRC}\assistant.json"
    SetOutPath "$INSTDIR"
  settings_kept:
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "${RUNKEY}" "${RUNVALUE}" '"$INSTDIR\${EXE}"'
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\${EXE}"
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" ${SIZE_KB}
  ; start it right away (at logon the Run entry starts it)
  Exec '"$INSTDIR\${EXE}"'
SectionEnd

Section "Uninstall"
  nsExec::Exec 'taskkill /F /IM ${EXE}'
  Pop $0
  Sleep 500
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\portal.json"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegValue HKCU "${RUNKEY}" "${RUNVALUE}"
  DeleteRegKey HKCU "${UNINSTKEY}"
  ; %APPDATA%\CertRenew (the holder's settings) stays, as a reinstall expects it
SectionEnd
