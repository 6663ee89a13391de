# Sourced by the scripts: the folders MynaFace reads and writes outside the repository, resolved exactly as
# the Swift code resolves them (MynaFacePaths in NeuralCore):
#   cache root  $XDG_CACHE_HOME/mynaface, else $HOME/.cache/mynaface
#   models      $MYNAFACE_MODELS, else <cache root>/models
#   samples     $MYNAFACE_SAMPLES, else <cache root>/samples
#   downloads   $MYNAFACE_DOWNLOADS, else <cache root>/downloads
if [ -n "${XDG_CACHE_HOME:-}" ]; then
  mynaface_cache_root="$XDG_CACHE_HOME/mynaface"
elif [ -n "${HOME:-}" ]; then
  mynaface_cache_root="$HOME/.cache/mynaface"
else
  echo "mynaface: neither XDG_CACHE_HOME nor HOME is set: cannot place the model cache" >&2; exit 1
fi
mynaface_models="${MYNAFACE_MODELS:-$mynaface_cache_root/models}"
mynaface_samples="${MYNAFACE_SAMPLES:-$mynaface_cache_root/samples}"
mynaface_downloads="${MYNAFACE_DOWNLOADS:-$mynaface_cache_root/downloads}"
