"""The PySide6 desktop application: the only package that imports Qt."""

from composeium_desktop.gui import qt_compat

qt_compat.install()
