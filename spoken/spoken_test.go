package spoken

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNamesAreCodesNeverFlagsOrPaths(t *testing.T) {
	for _, ok := range []string{"es", "pt-br", "en_GB", "yue", "zh-Hant-TW"} {
		assert.True(t, ValidLanguage(ok), ok)
	}
	for _, bad := range []string{"", "e", "ES", "../es", "es/", "-es", "english", "es-" + strings.Repeat("x", 20)} {
		assert.False(t, ValidLanguage(bad), bad)
	}
	for _, ok := range []string{"en-us", "es", "en+f3", "mb/mb-en1"} {
		assert.True(t, ValidVoice(ok), ok)
	}
	for _, bad := range []string{"", "-v", "../x", "a/b/c", "en us", strings.Repeat("a", 41)} {
		assert.False(t, ValidVoice(bad), bad)
	}
}

func TestVoiceIsTheVoiceElseTheLanguageElseTheDefault(t *testing.T) {
	assert.Equal(t, "en+f3", Prompt{Voice: "en+f3", Language: "es"}.VoiceFor())
	assert.Equal(t, "es", Prompt{Language: "es"}.VoiceFor())
	assert.Equal(t, DefaultVoice, Prompt{}.VoiceFor())
}
